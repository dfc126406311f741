using FaceService.Api.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceService.Api.Tests;

/// <summary>
/// After the shutdown timeout the host must not release the models while an inference request still runs in them
/// (that crashed the process); the drain holds the host's stop until the last such request has left.
/// </summary>
public sealed class InferenceShutdownDrainTests
{
    [Fact]
    public async Task The_drain_waits_for_every_running_inference_request()
    {
        var tracker = new InferenceRequestTracker();
        var drain = new InferenceShutdownDrain(tracker, NullLogger<InferenceShutdownDrain>.Instance);
        var first = tracker.Enter();
        var second = tracker.Enter();
        Assert.Equal(2, tracker.Running);

        using var expired = new CancellationTokenSource();
        await expired.CancelAsync();   // the host's shutdown token has run out by the time this matters
        var stopped = drain.StoppedAsync(expired.Token);

        first.Dispose();
        first.Dispose();   // disposing twice counts once
        Assert.Equal(1, tracker.Running);
        Assert.False(stopped.IsCompleted);

        second.Dispose();
        await stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, tracker.Running);
    }

    [Fact]
    public void With_nothing_running_the_drain_returns_at_once()
    {
        var drain = new InferenceShutdownDrain(new InferenceRequestTracker(), NullLogger<InferenceShutdownDrain>.Instance);
        Assert.True(drain.StoppedAsync(CancellationToken.None).IsCompletedSuccessfully);
    }
}
