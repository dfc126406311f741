using FaceService.Inference.Recognition;

namespace FaceService.Inference.Tests;

/// <summary>How <see cref="RecognitionPrecision.Auto"/> resolves: stored faces first, then the hardware.</summary>
public sealed class RecognitionPrecisionChoiceTests
{
    private const string Float32Id = "dlib-resnet-v1+facechip150-dlibsp+mirror@2b53a2390fdb";
    private const string Int8Id = "dlib-resnet-v1-int8+facechip150-dlibsp+mirror@c170c018e281";

    private static RecognitionPrecision Resolve(RecognitionPrecision configured = RecognitionPrecision.Auto, bool onCpu = true,
        bool dotProducts = true, Dictionary<string, long>? stored = null) =>
        RecognitionPrecisionChoice.Resolve(configured, onCpu, dotProducts, stored, Float32Id, Int8Id).Precision;

    [Theory]
    [InlineData(RecognitionPrecision.Float32)]
    [InlineData(RecognitionPrecision.Int8)]
    public void A_configured_precision_is_kept_whatever_is_stored(RecognitionPrecision configured)
    {
        Assert.Equal(configured, Resolve(configured, stored: new() { [Float32Id] = 5, [Int8Id] = 5 }));
        Assert.Equal(configured, Resolve(configured, dotProducts: false));
    }

    [Fact]
    public void With_nothing_stored_the_cpu_decides()
    {
        Assert.Equal(RecognitionPrecision.Int8, Resolve(stored: []));
        Assert.Equal(RecognitionPrecision.Int8, Resolve(stored: null));
        Assert.Equal(RecognitionPrecision.Float32, Resolve(dotProducts: false, stored: []));
        // Faces of other chip settings are another space: they do not count for either build.
        Assert.Equal(RecognitionPrecision.Int8, Resolve(stored: new() { ["dlib-resnet-v1+facechip150@2b53a2390fdb"] = 100 }));
    }

    [Fact]
    public void Stored_faces_keep_the_build_that_embedded_them()
    {
        Assert.Equal(RecognitionPrecision.Float32, Resolve(stored: new() { [Float32Id] = 1 }));
        Assert.Equal(RecognitionPrecision.Int8, Resolve(dotProducts: false, stored: new() { [Int8Id] = 1 }));
        // Both stored (a deployment that switched to Int8 and enrolled again): the newer build stays.
        Assert.Equal(RecognitionPrecision.Int8, Resolve(stored: new() { [Float32Id] = 3, [Int8Id] = 1 }));
    }

    [Fact]
    public void A_gpu_runs_float32()
    {
        Assert.Equal(RecognitionPrecision.Float32, Resolve(onCpu: false, stored: new() { [Int8Id] = 1 }));
        var choice = RecognitionPrecisionChoice.Resolve(RecognitionPrecision.Auto, true, true, new Dictionary<string, long> { [Float32Id] = 7 }, Float32Id, Int8Id);
        Assert.Contains("7 stored faces", choice.Reason);
    }

    [Fact]
    public void The_default_is_auto() => Assert.Equal(RecognitionPrecision.Auto, new InferenceOptions().RecognitionPrecision);
}
