using FaceService.CommandLine;
using FaceService.Inference;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Recognition;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// The service's face pipeline, registered by <see cref="InferenceServiceCollectionExtensions.AddFaceInference"/> from an
/// in-memory "Inference" section: the service's defaults unless --device, --threads, --max-batch, --max-wait-ms, --zoom-out-only-when-no-face, --spinning, --shared-arena, --max-concurrent-runs,
/// --landmarker, --detector, --mirror-averaging, --recognition-precision or --mtcnn-kernels say otherwise.
/// </summary>
public static class InferenceHost
{
    private static readonly (string Argument, string Key)[] Overrides =
    [
        ("device", nameof(InferenceOptions.Device)),
        ("threads", nameof(InferenceOptions.IntraOpThreads)),
        ("max-batch", nameof(InferenceOptions.MaxBatchSize)),
        ("max-wait-ms", nameof(InferenceOptions.MaxBatchWaitMs)),
        ("models", nameof(InferenceOptions.ModelsPath)),
        ("zoom-out-only-when-no-face", nameof(InferenceOptions.DetectorZoomOutOnlyWhenNoFace)),
        ("spinning", nameof(InferenceOptions.IntraOpSpinning)),
        ("shared-arena", nameof(InferenceOptions.SharedCpuArena)),
        ("max-concurrent-runs", nameof(InferenceOptions.MaxConcurrentRuns)),
        ("landmarker", nameof(InferenceOptions.Landmarker)),
        ("detector", nameof(InferenceOptions.Detector)),
        ("mirror-averaging", nameof(InferenceOptions.MirrorAveraging)),
        ("recognition-precision", nameof(InferenceOptions.RecognitionPrecision)),
        ("mtcnn-kernels", nameof(InferenceOptions.MtcnnKernels)),
    ];

    /// <param name="settings">Inference options set on top of the command line's (e.g. MaxBatchSize = 1 for a run without micro-batching).</param>
    public static ServiceProvider Build(ToolArguments args, IReadOnlyDictionary<string, string>? settings = null)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (argument, key) in Overrides)
            if (args.Get(argument, "") is { Length: > 0 } value) values[$"{InferenceOptions.SectionName}:{key}"] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            values[$"{InferenceOptions.SectionName}:{key}"] = value;

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging().AddFaceInference(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>Where and how the models run: "device auto → CPU, 2 intra-op threads, max batch 16, max wait 0 ms, …".</summary>
    public static string DescribeSettings(IServiceProvider services)
    {
        var options = services.GetRequiredService<InferenceOptions>();
        var sessions = services.GetRequiredService<OnnxSessionFactory>();
        var threads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount;
        return $"device {options.Device.ToString().ToLowerInvariant()} → {sessions.ExecutionProvider} (ONNX Runtime {OrtEnv.Instance().GetVersionString()}), " +
               $"{threads} intra-op threads per session (spinning {(options.IntraOpSpinning ? "on" : "off")}), " +
               $"{(options.SharedCpuArena ? "one shared CPU arena" : "a CPU arena per session")}, at most {sessions.RunGate.MaxConcurrentRuns} model runs at once, max batch {options.MaxBatchSize}, max wait {options.MaxBatchWaitMs} ms, " +
               $"recognition {services.GetRequiredService<RecognitionPrecisionChoice>().Precision}" +
               (options.RecognitionPrecision == RecognitionPrecision.Auto ? " (Auto)" : "") + ", " +
               $"alignment {options.Alignment}, landmarks {options.Landmarker}, mirror averaging {(options.MirrorAveraging ? "on" : "off")}, detector {options.Detector}" +
               (options.Detector == FaceDetectorKind.Mtcnn ? "" : $", SSD zoom-out pass {options.DetectorZoomOutPass}" + (options.DetectorZoomOutOnlyWhenNoFace ? " (only when no face)" : " (always)")) +
               (options.Detector == FaceDetectorKind.Ssd ? "" : $", MTCNN pyramid from {options.MtcnnMinFaceSize} px faces, P-Net and R-Net by {(options.MtcnnKernels && PNetKernel.IsSupported && sessions.ExecutionProvider == "CPU" ? "the CPU kernels" : "ONNX Runtime")}") +
               $", JPEG pixels by {services.GetRequiredService<SkiaImageDecoder>().JpegDecoder}";
    }

    /// <summary>The 1-, 5- and 15-minute load averages, or "n/a" off Linux: other work on the machine skews the timings.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
}
