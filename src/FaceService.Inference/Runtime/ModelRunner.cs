using Microsoft.ML.OnnxRuntime;

namespace FaceService.Inference.Runtime;

/// <summary>
/// Runs one model's session: through the process's run gate (<see cref="InferenceOptions.MaxConcurrentRuns"/>), with
/// plain run options except for the first run after <see cref="OnnxSessionFactory.RequestArenaShrink"/>, which also asks
/// the CPU arena to free, at its end, the regions no tensor uses (ONNX Runtime's <c>memory.enable_memory_arena_shrinkage</c>).
/// Why: an arena never gives memory back by itself, so every peak of overlapping runs (batch sizes, faces per photo)
/// stayed with the process for good.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly RunOptions _plain = new();
    private readonly RunOptions _shrinking = new();
    private int _shrinkRequestsSeen;

    internal ModelRunner(OnnxSessionFactory sessions)
    {
        _sessions = sessions;
        _shrinking.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        _shrinkRequestsSeen = sessions.ShrinkRequests;
    }

    /// <summary>Runs <paramref name="session"/> once the gate lets it; blocks the calling thread while it waits.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputs, IReadOnlyCollection<string> outputNames)
    {
        using var _ = _sessions.RunGate.Enter();
        return session.Run(NextOptions(), inputNames, inputs, outputNames);
    }

    /// <summary>The options for the next run (concurrent callers: at most one of them gets the shrinking options per request).</summary>
    private RunOptions NextOptions()
    {
        var requests = _sessions.ShrinkRequests;
        // Read first: the exchange (a write every run, shared by concurrent runs) only once a minute.
        if (Volatile.Read(ref _shrinkRequestsSeen) == requests) return _plain;
        return Interlocked.Exchange(ref _shrinkRequestsSeen, requests) != requests ? _shrinking : _plain;
    }

    public void Dispose()
    {
        _plain.Dispose();
        _shrinking.Dispose();
    }
}

/// <summary>
/// At most a fixed number of model runs at once, across all models. Why: on the CPU each run already uses every core
/// (intra-op threads), so more overlapping runs add no throughput, only working memory: every run in flight holds its
/// activations in the arena, and before the gate the arena's size followed the number of requests in flight.
/// </summary>
public sealed class ModelRunGate(int maxConcurrentRuns)
{
    private readonly SemaphoreSlim _slots = new(maxConcurrentRuns, maxConcurrentRuns);

    public int MaxConcurrentRuns { get; } = maxConcurrentRuns;

    /// <summary>Runs in progress.</summary>
    public int Running => MaxConcurrentRuns - _slots.CurrentCount;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public Slot Enter()
    {
        _slots.Wait();
        return new Slot(_slots);
    }

    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
