using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>
/// The periodic arena shrink (<see cref="OnnxSessionFactory.RequestArenaShrink"/>): a run with the shrinking options
/// gives the same answer, and memory a large batch took comes back once the arena has shrunk and the C heap is trimmed.
/// Runs alone: the arena is one per process, and other tests' runs would hold regions or take them back meanwhile.
/// </summary>
[Collection(nameof(ArenaShrinkTests))]
public sealed class ArenaShrinkTests
{
    [Fact]
    public async Task A_shrinking_run_answers_the_same_and_returns_the_memory_of_a_large_batch()
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:Device"] = "cpu" });
        var sessions = services.GetRequiredService<OnnxSessionFactory>();
        var net = services.GetRequiredService<RecognitionNet>();
        var chip = new RgbaImage(RecognitionNet.ChipSize, RecognitionNet.ChipSize,
            Enumerable.Range(0, RecognitionNet.ChipSize * RecognitionNet.ChipSize * 4).Select(i => (byte)(i * 7 % 251)).ToArray());

        var expected = net.Embed([chip])[0];
        net.Embed(Enumerable.Repeat(chip, 64).ToArray()); // > 64 MiB of activations, free in the arena after the run
        NativeMemoryTrimmer.Trim();
        var afterBatch = NativeMemoryTrimmerTests.ResidentAnonymousBytes();

        sessions.RequestArenaShrink();
        var shrunk = net.Embed([chip])[0];
        NativeMemoryTrimmer.Trim();
        var afterShrink = NativeMemoryTrimmerTests.ResidentAnonymousBytes();

        Assert.Equal(expected, shrunk);
        if (NativeMemoryTrimmer.IsSupported)
            Assert.True(afterBatch - afterShrink >= 32L << 20,
                $"resident anonymous memory {afterBatch >> 20} MiB after the batch, {afterShrink >> 20} MiB after the shrinking run");
    }
}

[CollectionDefinition(nameof(ArenaShrinkTests), DisableParallelization = true)]
public sealed class ArenaShrinkCollection;
