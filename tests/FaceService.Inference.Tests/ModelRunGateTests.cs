using FaceService.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>The gate every model run passes (<see cref="InferenceOptions.MaxConcurrentRuns"/>).</summary>
public sealed class ModelRunGateTests
{
    [Fact]
    public async Task A_full_gate_holds_the_next_caller_until_a_slot_is_given_back()
    {
        var gate = new ModelRunGate(2);
        var first = gate.Enter();
        var second = gate.Enter();
        Assert.Equal(2, gate.Running);

        var third = Task.Run(() => gate.Enter());
        await Task.Delay(200);
        Assert.False(third.IsCompleted);

        first.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        second.Dispose();
        Assert.Equal(0, gate.Running);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("3", 3)]
    public async Task Zero_means_one_run_per_core(string configured, int expected)
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?> { ["Inference:MaxConcurrentRuns"] = configured });
        var gate = services.GetRequiredService<OnnxSessionFactory>().RunGate;
        Assert.Equal(expected == 0 ? Environment.ProcessorCount : expected, gate.MaxConcurrentRuns);
    }

    [Fact]
    public async Task Model_runs_wait_for_the_gate_and_then_answer_as_without_it()
    {
        await using var services = ModelsFixture.BuildServices(new Dictionary<string, string?>
        {
            ["Inference:Device"] = "cpu",
            ["Inference:MaxConcurrentRuns"] = "1",
        });
        var gate = services.GetRequiredService<OnnxSessionFactory>().RunGate;
        var net = services.GetRequiredService<RecognitionNet>();
        var chip = new RgbaImage(RecognitionNet.ChipSize, RecognitionNet.ChipSize,
            Enumerable.Range(0, RecognitionNet.ChipSize * RecognitionNet.ChipSize * 4).Select(i => (byte)(i * 11 % 253)).ToArray());
        var expected = net.Embed([chip])[0];

        var slot = gate.Enter(); // the only slot: the run below must wait for it
        var embedding = Task.Run(() => net.Embed([chip])[0]);
        await Task.Delay(500); // one chip takes ~20 ms when it may run
        Assert.False(embedding.IsCompleted, "the model ran while the gate's only slot was taken");

        slot.Dispose();
        Assert.Equal(expected, await embedding.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, gate.Running);
    }
}
