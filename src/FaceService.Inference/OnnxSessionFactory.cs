using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.Inference;

/// <summary>
/// Opens the ONNX models with the configured execution provider. The provider is chosen once, for all models:
/// auto tries CUDA and falls back to CPU with a warning; cuda fails start-up when CUDA cannot be used.
/// </summary>
public sealed class OnnxSessionFactory
{
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly Lazy<bool> _useCuda;

    public OnnxSessionFactory(InferenceOptions options, string modelsDirectory, ILogger<OnnxSessionFactory> logger)
    {
        _options = options;
        _logger = logger;
        ModelsDirectory = modelsDirectory;
        _useCuda = new Lazy<bool>(ChooseCuda);
        RunGate = new ModelRunGate(options.MaxConcurrentRuns > 0 ? options.MaxConcurrentRuns : Environment.ProcessorCount);
    }

    public string ModelsDirectory { get; }

    /// <summary>"CUDA" or "CPU": where the models run.</summary>
    public string ExecutionProvider => _useCuda.Value ? "CUDA" : "CPU";

    public string ModelPath(string fileName) => Path.Combine(ModelsDirectory, fileName);

    private int _shrinkRequests;

    /// <summary>How many times <see cref="RequestArenaShrink"/> was called.</summary>
    internal int ShrinkRequests => Volatile.Read(ref _shrinkRequests);

    /// <summary>Asks every model's next run to free the CPU arena's unused regions (see <see cref="ModelRunner"/>).</summary>
    public void RequestArenaShrink() => Interlocked.Increment(ref _shrinkRequests);

    /// <summary>The gate every model run of this factory's sessions passes (<see cref="InferenceOptions.MaxConcurrentRuns"/>).</summary>
    public ModelRunGate RunGate { get; }

    /// <summary>Runs one model's session (gate, run options), to be disposed with it.</summary>
    public ModelRunner CreateRunner() => new(this);

    public InferenceSession Open(string fileName)
    {
        var path = ModelPath(fileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"ONNX model '{path}' is missing. Build the models with models/build.sh or point Inference:ModelsPath at them.", path);
        using var sessionOptions = CreateSessionOptions(_useCuda.Value);
        return new InferenceSession(path, sessionOptions);
    }

    private const int ArenaExtendSameAsRequested = 1;

    /// <summary>
    /// The process's one shared CPU arena (<see cref="InferenceOptions.SharedCpuArena"/>), registered with ORT's
    /// environment on first use; an environment takes one allocator per device, so once per process.
    /// </summary>
    private static readonly Lazy<bool> SharedArena = new(() =>
    {
        using var memoryInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
        using var arena = new OrtArenaCfg(maxMemory: 0, ArenaExtendSameAsRequested, initialChunkSizeBytes: -1, maxDeadBytesPerChunk: -1);
        OrtEnv.Instance().CreateAndRegisterAllocator(memoryInfo, arena);
        return true;
    });

    private SessionOptions CreateSessionOptions(bool cuda)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = _options.IntraOpThreads > 0 ? _options.IntraOpThreads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            // A memory pattern plans one block per input shape and takes it from the session's arena on every run.
            // Batch sizes vary here (faces per image, chips per micro-batch) and several runs overlap, so the arenas
            // grew to hold many such blocks: without patterns, native memory under the same load was about 30-35% lower
            // (docs/RELIABILITY.md, Load and soak). Tensors are then allocated one by one from the arena.
            EnableMemoryPattern = false,
        };
        try
        {
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.IntraOpSpinning ? "1" : "0");
            if (_options.SharedCpuArena && SharedArena.Value) sessionOptions.AddSessionConfigEntry("session.use_env_allocators", "1");
            if (cuda) sessionOptions.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private bool ChooseCuda()
    {
        if (_options.Device == InferenceDevice.Cpu) return false;

        var failure = CudaUnavailableReason(_options.CudaDeviceId);
        if (failure is null)
        {
            _logger.LogInformation("ONNX Runtime runs the face models on CUDA device {DeviceId}.", _options.CudaDeviceId);
            return true;
        }
        if (_options.Device == InferenceDevice.Cuda)
            throw new InvalidOperationException(
                $"Inference:Device is 'cuda' but the CUDA execution provider cannot be used: {failure} " +
                "Build with -p:OnnxGpu=true (Microsoft.ML.OnnxRuntime.Gpu) on a machine with an NVIDIA GPU, CUDA and cuDNN, or set Inference:Device to 'auto' or 'cpu'.");
        _logger.LogWarning("CUDA is not available ({Reason}); the face models run on the CPU.", failure);
        return false;
    }

    /// <summary>
    /// Why CUDA cannot be used on this machine and build, or null when it can (the CPU-only runtime throws when asked
    /// for it). Tests read it to state what they expect on either kind of machine.
    /// </summary>
    public static string? CudaUnavailableReason(int deviceId = 0)
    {
        try
        {
            if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
                return "this ONNX Runtime build has no CUDA execution provider.";
            using var probe = new SessionOptions();
            probe.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception e) // OnnxRuntimeException, or a missing native entry point / library
        {
            return e.Message;
        }
    }
}
