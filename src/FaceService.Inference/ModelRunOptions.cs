using Microsoft.ML.OnnxRuntime;

namespace FaceService.Inference;

/// <summary>
/// The run options of one model's session. Plain, except for the first run after
/// <see cref="OnnxSessionFactory.RequestArenaShrink"/>: that run also asks the CPU arena to free, at its end, the regions
/// no tensor uses (ONNX Runtime's <c>memory.enable_memory_arena_shrinkage</c>). Why: an arena never gives memory back by
/// itself, so every peak of overlapping runs (batch sizes, faces per photo) stayed with the process for good.
/// </summary>
public sealed class ModelRunOptions : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly RunOptions _plain = new();
    private readonly RunOptions _shrinking = new();
    private int _shrinkRequestsSeen;

    internal ModelRunOptions(OnnxSessionFactory sessions)
    {
        _sessions = sessions;
        _shrinking.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        _shrinkRequestsSeen = sessions.ShrinkRequests;
    }

    /// <summary>The options for the next run (concurrent callers: at most one of them gets the shrinking options per request).</summary>
    public RunOptions Next()
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
