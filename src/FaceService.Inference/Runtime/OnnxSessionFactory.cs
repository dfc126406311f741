using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.Inference.Runtime;

/// <summary>
/// Opens the ONNX models with the configured execution provider. The provider is chosen once, for all models:
/// auto tries CUDA and falls back to CPU with a warning; cuda and tensorrt fail start-up when they cannot be used.
/// </summary>
public sealed class OnnxSessionFactory
{
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly Lazy<Provider> _provider;

    private enum Provider
    {
        Cpu,
        Cuda,
        TensorRt,
    }

    public OnnxSessionFactory(InferenceOptions options, string modelsDirectory, ILogger<OnnxSessionFactory> logger)
    {
        _options = options;
        _logger = logger;
        ModelsDirectory = modelsDirectory;
        _provider = new Lazy<Provider>(ChooseProvider);
        RunGate = new ModelRunGate(options.MaxConcurrentRuns > 0 ? options.MaxConcurrentRuns : Environment.ProcessorCount);
    }

    public string ModelsDirectory { get; }

    /// <summary>"TensorRT", "CUDA" or "CPU": where the models run.</summary>
    public string ExecutionProvider => _provider.Value switch
    {
        Provider.TensorRt => "TensorRT",
        Provider.Cuda => "CUDA",
        _ => "CPU",
    };

    /// <summary>Where TensorRT caches its engines (<see cref="InferenceOptions.TensorRtEngineCachePath"/>).</summary>
    public string TensorRtEngineCachePath => _options.TensorRtEngineCachePath is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : Path.Combine(ModelsDirectory, "trt-engines");

    public string ModelPath(string fileName) => Path.Combine(ModelsDirectory, fileName);

    /// <summary>Threads one model run uses (<see cref="InferenceOptions.IntraOpThreads"/>, 0 = one per core).</summary>
    public int IntraOpThreads => _options.IntraOpThreads > 0 ? _options.IntraOpThreads : Environment.ProcessorCount;

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
        using var sessionOptions = CreateSessionOptions(_provider.Value);
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

    private SessionOptions CreateSessionOptions(Provider provider)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = IntraOpThreads,
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
            if (provider == Provider.TensorRt) AppendTensorRt(sessionOptions);
            // CUDA also runs what TensorRT leaves (providers are tried in the order appended).
            if (provider != Provider.Cpu) sessionOptions.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private void AppendTensorRt(SessionOptions sessionOptions)
    {
        Directory.CreateDirectory(TensorRtEngineCachePath);
        using var tensorRt = new OrtTensorRTProviderOptions();
        tensorRt.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = _options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = TensorRtEngineCachePath,
            ["trt_fp16_enable"] = _options.TensorRtFp16 ? "1" : "0",
        });
        sessionOptions.AppendExecutionProvider_Tensorrt(tensorRt);
    }

    private Provider ChooseProvider()
    {
        if (_options.Device == InferenceDevice.Cpu) return Provider.Cpu;
        if (_options.Device == InferenceDevice.TensorRt)
        {
            var reason = TensorRtUnavailableReason(_options.CudaDeviceId);
            if (reason is not null)
                throw new InvalidOperationException(
                    $"Inference:Device is 'tensorrt' but the TensorRT execution provider cannot be used: {reason} " +
                    "Build with -p:OnnxGpu=true (Microsoft.ML.OnnxRuntime.Gpu) on a machine with an NVIDIA GPU, CUDA, cuDNN and TensorRT, or set Inference:Device to 'cuda', 'auto' or 'cpu'.");
            _logger.LogInformation("ONNX Runtime runs the face models on TensorRT (CUDA device {DeviceId}), engines cached in {EngineCache}.",
                _options.CudaDeviceId, TensorRtEngineCachePath);
            return Provider.TensorRt;
        }

        var failure = CudaUnavailableReason(_options.CudaDeviceId);
        if (failure is null)
        {
            _logger.LogInformation("ONNX Runtime runs the face models on CUDA device {DeviceId}.", _options.CudaDeviceId);
            return Provider.Cuda;
        }
        if (_options.Device == InferenceDevice.Cuda)
            throw new InvalidOperationException(
                $"Inference:Device is 'cuda' but the CUDA execution provider cannot be used: {failure} " +
                "Build with -p:OnnxGpu=true (Microsoft.ML.OnnxRuntime.Gpu) on a machine with an NVIDIA GPU, CUDA and cuDNN, or set Inference:Device to 'auto' or 'cpu'.");
        _logger.LogWarning("CUDA is not available ({Reason}); the face models run on the CPU.", failure);
        return Provider.Cpu;
    }

    /// <summary>Why TensorRT cannot be used on this machine and build, or null when it can.</summary>
    public static string? TensorRtUnavailableReason(int deviceId = 0)
    {
        if (CudaUnavailableReason(deviceId) is { } cuda) return cuda;
        try
        {
            if (!OrtEnv.Instance().GetAvailableProviders().Contains("TensorrtExecutionProvider"))
                return "this ONNX Runtime build has no TensorRT execution provider.";
            using var probe = new SessionOptions();
            using var tensorRt = new OrtTensorRTProviderOptions();
            probe.AppendExecutionProvider_Tensorrt(tensorRt);
            return null;
        }
        catch (Exception e) // OnnxRuntimeException, or TensorRT's libraries missing
        {
            return e.Message;
        }
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
