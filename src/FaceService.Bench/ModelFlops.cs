using FaceService.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using FaceService.Inference.Detection;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// `flops`: multiply-adds per run of each network, counted from the shapes ONNX Runtime's profiler records for every
/// Conv, Gemm and MatMul node of an unoptimised batch-1 run (ORT exposes no FLOP count; the graphs carry no inner shapes),
/// and the machine's nominal FP32 peak to compare throughputs with. Element-wise ops, pooling and the rest are left out.
/// Options: --models (folder, as the service's Inference:ModelsPath).
/// </summary>
public static class ModelFlops
{
    /// <param name="Unit">What one batch-1 run is: a face, or one detector pass (the detector makes one or two per image).</param>
    public sealed record Network(string Name, string ModelFile, int InputSize, string Unit);

    public static readonly Network Detector = new("detector, SSD MobileNetV1 512x512", SsdFaceDetector.ModelFile, SsdFaceDetector.InputSize, "pass");
    public static readonly Network Landmarks = new("landmarks, 68-point net 112x112", Landmark68Net.ModelFile, Landmark68Net.InputSize, "face");
    public static readonly Network Recognition = new("recognition, dlib ResNet 150x150", RecognitionNet.ModelFile, RecognitionNet.ChipSize, "face");

    /// <summary>GFLOP (2 × multiply-adds) per image for detection (all its passes) and per face for the face nets.</summary>
    public sealed record PipelineWork(double DetectorGflop, int DetectorPasses, double LandmarksGflop, double RecognitionGflop)
    {
        public double SingleFaceImageGflop => DetectorGflop + LandmarksGflop + RecognitionGflop;

        /// <summary>Counts the models the services load, with the detector passes their settings make.</summary>
        public static PipelineWork Count(IServiceProvider services)
        {
            var sessions = services.GetRequiredService<OnnxSessionFactory>();
            double Gflop(Network network) => 2e-9 * MultiplyAdds(sessions.ModelPath(network.ModelFile), network.InputSize);
            var options = services.GetRequiredService<InferenceOptions>();
            // A photo with a face gets the zoom-out pass only when it always runs.
            var passes = options.DetectorZoomOutPass > 1 && !options.DetectorZoomOutOnlyWhenNoFace ? 2 : 1;
            return new PipelineWork(passes * Gflop(Detector), passes, Gflop(Landmarks), Gflop(Recognition));
        }
    }

    public static int Run(ToolArguments args)
    {
        using var services = InferenceHost.Build(args);
        var work = PipelineWork.Count(services);
        var (peak, basis) = PeakGflops();
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        Console.WriteLine($"nominal FP32 peak: {peak:F0} GFLOP/s ({basis})");
        Console.WriteLine($"{"network",-36} {"GFLOP",7} {"per",-6}");
        Console.WriteLine($"{Detector.Name,-36} {work.DetectorGflop / work.DetectorPasses,7:F3} {Detector.Unit,-6}");
        Console.WriteLine($"{Landmarks.Name,-36} {work.LandmarksGflop,7:F3} {Landmarks.Unit,-6}");
        Console.WriteLine($"{Recognition.Name,-36} {work.RecognitionGflop,7:F3} {Recognition.Unit,-6}");
        Console.WriteLine($"one single-face image ({work.DetectorPasses} detector pass(es) + landmarks + recognition): {work.SingleFaceImageGflop:F2} GFLOP, " +
                          $"at most {peak / work.SingleFaceImageGflop:F1} images/s at peak");
        return 0;
    }

    /// <summary>Multiply-adds of Conv, Gemm and MatMul nodes in one batch-1 run of the model (input "input", [1, 3, size, size]).</summary>
    public static long MultiplyAdds(string modelPath, int inputSize)
    {
        var profileDirectory = Directory.CreateTempSubdirectory("facebench-profile-");
        try
        {
            using var options = new SessionOptions
            {
                // Unfused nodes keep the graph's own ops and weight shapes (fused or NCHWc-blocked kernels would not).
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
                // The prefix must be set first: setting EnableProfiling starts profiling with the prefix it finds.
                ProfileOutputPathPrefix = Path.Combine(profileDirectory.FullName, "run"),
                EnableProfiling = true,
            };
            using var session = new InferenceSession(modelPath, options);
            long[] shape = [1, 3, inputSize, inputSize];
            using var input = OrtValue.CreateTensorValueFromMemory(new float[3 * inputSize * inputSize], shape);
            using var runOptions = new RunOptions();
            using (session.Run(runOptions, ["input"], [input], session.OutputNames)) { }
            return CountMultiplyAdds(session.EndProfiling());
        }
        finally
        {
            profileDirectory.Delete(recursive: true);
        }
    }

    /// <summary>Sums output elements × inputs per output over the profiled kernels: Conv weights are [M, C/group, kh, kw].</summary>
    private static long CountMultiplyAdds(string profileFile)
    {
        using var profile = JsonDocument.Parse(File.ReadAllBytes(profileFile));
        long total = 0;
        foreach (var e in profile.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("args", out var a) || !a.TryGetProperty("op_name", out var op) ||
                !a.TryGetProperty("input_type_shape", out var inputs) || !a.TryGetProperty("output_type_shape", out var outputs))
                continue;
            var output = Product(Shape(outputs[0]));
            total += op.GetString() switch
            {
                "Conv" => output * Product(Shape(inputs[1])[1..]),
                "MatMul" => output * Shape(inputs[0])[^1],
                // A is [M, K] or [K, M] (transA): K is its size over the output's rows.
                "Gemm" => output * (Product(Shape(inputs[0])) / Shape(outputs[0])[0]),
                _ => 0,
            };
        }
        if (total == 0) throw new InvalidOperationException($"The ORT profile '{profileFile}' has no Conv/Gemm/MatMul node with shapes.");
        return total;
    }

    /// <summary>A profiler shape entry: {"float": [1, 32, 75, 75]}.</summary>
    private static long[] Shape(JsonElement typedShape) =>
        typedShape.EnumerateObject().First().Value.EnumerateArray().Select(d => d.GetInt64()).ToArray();

    private static long Product(ReadOnlySpan<long> dims)
    {
        long p = 1;
        foreach (var d in dims) p *= d;
        return p;
    }

    /// <summary>
    /// Cores × clock from /proc/cpuinfo × FP32 FLOPs per cycle from the vector extensions, assuming two FMA pipes
    /// (AVX-512: 64, AVX2+FMA: 32, AVX: 16, else 8). A virtual machine reports its nominal clock, not the boost clock.
    /// </summary>
    public static (double Gflops, string Basis) PeakGflops()
    {
        var lines = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").ToArray() : [];
        string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var flags = (Field("flags") ?? "").Split(' ').ToHashSet();
        var (perCycle, isa) = flags.Contains("avx512f") ? (64, "AVX-512")
            : flags.Contains("avx2") && flags.Contains("fma") ? (32, "AVX2+FMA")
            : flags.Contains("avx") ? (16, "AVX") : (8, "SSE");
        var ghz = double.TryParse(Field("cpu MHz"), CultureInfo.InvariantCulture, out var mhz) ? mhz / 1000 : double.NaN;
        return (Environment.ProcessorCount * ghz * perCycle,
            $"{Environment.ProcessorCount} cores x {ghz:F2} GHz x {perCycle} FLOP/cycle ({isa}, 2 FMA pipes)");
    }
}
