
namespace FaceService.Api.Infrastructure;

/// <summary>Counts the requests running on the inference endpoints (past the queue, inside the models' pipeline).</summary>
public sealed class InferenceRequestTracker
{
    private int _running;

    public int Running => Volatile.Read(ref _running);

    /// <summary>Counts a request until the returned handle is disposed.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _running);
        return new Exit(this);
    }

    private sealed class Exit(InferenceRequestTracker tracker) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref tracker._running);
        }
    }
}
