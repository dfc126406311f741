using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Inference.Tests;

/// <summary>
/// The periodic arena shrink (<see cref="OnnxSessionFactory.RequestArenaShrink"/>): a run with the shrinking options
/// gives the same answer, and memory a large batch took comes back once the arena has shrunk and the C heap is trimmed.
/// </summary>
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
        NativeMemoryTrimmer.Trim();
        var beforeBatch = ResidentAnonymousBytes();
        net.Embed(Enumerable.Repeat(chip, 64).ToArray()); // the arena grows by the batch's activations
        var afterBatch = ResidentAnonymousBytes();

        sessions.RequestArenaShrink();
        var shrunk = net.Embed([chip])[0];
        NativeMemoryTrimmer.Trim();
        var afterShrink = ResidentAnonymousBytes();

        Assert.Equal(expected, shrunk);
        Assert.True(afterBatch - beforeBatch > 64L << 20, $"the batch of 64 took only {(afterBatch - beforeBatch) >> 20} MiB");
        if (NativeMemoryTrimmer.IsSupported) // other tests allocate meanwhile: ask for half of the batch's memory back
            Assert.True(afterBatch - afterShrink > (afterBatch - beforeBatch) / 2,
                $"resident anonymous memory {beforeBatch >> 20} MiB before the batch, {afterBatch >> 20} after, {afterShrink >> 20} after the shrink");
    }

    private static long ResidentAnonymousBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
