
namespace FaceService.Api.Infrastructure;

/// <summary>
/// Holds the host's disposal back until no inference request is running. Normally there is none left when the host
/// stops (the server waits for them), but when Api:ShutdownTimeoutSeconds runs out the server cuts their connections
/// while their threads may still be inside an ONNX Runtime or Skia call; disposing the models under them crashed the
/// process (SIGSEGV). The cut requests see their cancellation at the pipeline's next stage, so this wait is short.
/// </summary>
public sealed class InferenceShutdownDrain(InferenceRequestTracker tracker, ILogger<InferenceShutdownDrain> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    // Runs after every hosted service's StopAsync, the server's included; deliberately not bound by the shutdown
    // token, which has run out when this matters.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (tracker.Running == 0) return;
        logger.LogWarning("Shutdown timeout passed with {Running} inference requests still running (their connections are closed); " +
                          "waiting for their model runs to end before the models are released", tracker.Running);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (tracker.Running > 0) await Task.Delay(Poll, CancellationToken.None);
        logger.LogWarning("Inference requests ended {ElapsedMs} ms after the shutdown timeout", watch.ElapsedMilliseconds);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
