using System.ComponentModel.DataAnnotations;

namespace FaceService.Inference.Tests;

/// <summary>Combinations of inference settings that cannot work are refused when the options are validated (at start-up).</summary>
public sealed class InferenceOptionsTests
{
    private static List<ValidationResult> Validate(InferenceOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData(InferenceDevice.Cuda)]
    [InlineData(InferenceDevice.TensorRt)]
    public void The_int8_net_on_a_gpu_is_refused(InferenceDevice device)
    {
        var error = Assert.Single(Validate(new InferenceOptions { RecognitionPrecision = RecognitionPrecision.Int8, Device = device }));
        Assert.Contains("RecognitionPrecision=Int8", error.ErrorMessage);
        Assert.Contains(nameof(InferenceOptions.Device), error.MemberNames);
    }

    [Theory]
    [InlineData(InferenceDevice.Cpu, RecognitionPrecision.Int8)]
    [InlineData(InferenceDevice.Auto, RecognitionPrecision.Int8)]
    [InlineData(InferenceDevice.Cuda, RecognitionPrecision.Float32)]
    public void Workable_combinations_pass(InferenceDevice device, RecognitionPrecision precision) =>
        Assert.Empty(Validate(new InferenceOptions { RecognitionPrecision = precision, Device = device }));
}
