using FaceService.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
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
    /// <param name="Batch">Inputs per run as the pipeline makes them.</param>
    public sealed record Network(string Name, string ModelFile, int InputSize, int Batch);

    public static readonly Network Detector = new("SSD MobileNetV1, one 512x512 pass", SsdFaceDetector.ModelFile, SsdFaceDetector.InputSize, 1);
    public static readonly Network Landmarks = new("68-point landmark net, 112x112 face", Landmark68Net.ModelFile, Landmark68Net.InputSize, 1);
    public static readonly Network Recognition = new("dlib ResNet, 150x150 chip", RecognitionNet.ModelFile, RecognitionNet.ChipSize, 1);

    // MTCNN as it runs on a 250x250 LFW photo: P-Net on the pyramid's first level (12/40 of the photo; the levels
    // together are about twice its work), R-Net and O-Net on the candidates that reach them (lfw-dev's means: 28, 8).
    private const int LfwPNetLevel = 75, LfwRNetCandidates = 28, LfwONetCandidates = 8;
    private static readonly Network PNet = new($"MTCNN P-Net, {LfwPNetLevel}x{LfwPNetLevel} level", MtcnnFaceDetector.PNetFile, LfwPNetLevel, 1);
    private static readonly Network RNet = new($"MTCNN R-Net, {LfwRNetCandidates} candidates 24x24", MtcnnFaceDetector.RNetFile, 24, LfwRNetCandidates);
    private static readonly Network ONet = new($"MTCNN O-Net, {LfwONetCandidates} candidates 48x48", MtcnnFaceDetector.ONetFile, 48, LfwONetCandidates);
    // P-Net's first level on a 1,000 px photo, and R-Net's candidates on the dev set's larger photos (about 100).
    private static readonly Network PNetLarge = PNet with { Name = "MTCNN P-Net, 300x300 level", InputSize = 300 };
    private static readonly Network RNetLarge = RNet with { Name = "MTCNN R-Net, 100 candidates 24x24", Batch = 100 };

    /// <summary>GFLOP (2 × multiply-adds) per image for detection and per face for the face nets.</summary>
    /// <param name="DetectorBasis">What <see cref="DetectorGflop"/> counts.</param>
    public sealed record PipelineWork(double DetectorGflop, string DetectorBasis, double LandmarksGflop, double RecognitionGflop, int RecognitionRunsPerFace)
    {
        public double SingleFaceImageGflop => DetectorGflop + LandmarksGflop + RecognitionRunsPerFace * RecognitionGflop;

        /// <summary>
        /// Counts the models the services load: MTCNN's work on an LFW-size photo where it is the first detector, else
        /// the SSD's passes its settings make; one or two recognition runs a face (mirror averaging).
        /// </summary>
        public static PipelineWork Count(IServiceProvider services)
        {
            var sessions = services.GetRequiredService<OnnxSessionFactory>();
            double Gflop(Network network) => 2e-9 * network.Batch * MultiplyAdds(sessions.ModelPath(network.ModelFile), network.InputSize);
            var options = services.GetRequiredService<InferenceOptions>();
            var runs = options.MirrorAveraging ? 2 : 1;
            if (options.Detector is FaceDetectorKind.Mtcnn or FaceDetectorKind.MtcnnThenSsd)
                return new PipelineWork(2 * Gflop(PNet) + Gflop(RNet) + Gflop(ONet), "MTCNN on a 250x250 photo, estimated", Gflop(Landmarks), Gflop(Recognition), runs);
            // A photo with a face gets the zoom-out pass only when it always runs.
            var passes = options.DetectorZoomOutPass > 1 && !options.DetectorZoomOutOnlyWhenNoFace ? 2 : 1;
            return new PipelineWork(passes * Gflop(Detector), $"SSD, {passes} pass(es)", Gflop(Landmarks), Gflop(Recognition), runs);
        }
    }

    /// <summary>Each network on its typical input, timed with the service's session settings, against the measured peak.</summary>
    public static int Run(ToolArguments args)
    {
        var seconds = args.Get("seconds", 2);
        using var services = InferenceHost.Build(args);
        var sessions = services.GetRequiredService<OnnxSessionFactory>();
        var (nominal, basis) = PeakGflops();
        var measured = MeasuredPeakGflops(TimeSpan.FromSeconds(2));
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average {InferenceHost.LoadAverage()}");
        Console.WriteLine($"settings: {InferenceHost.DescribeSettings(services)}");
        Console.WriteLine($"FP32 peak: nominal {nominal:F0} GFLOP/s ({basis}); measured {measured:F0} GFLOP/s (fused multiply-adds on every core)");
        Console.WriteLine($"{"network, input as the pipeline makes it",-44} {"GFLOP",8} {"ms p50",8} {"GFLOP/s",8} {"of measured peak",17}");
        Network[] networks =
        [
            ModelFlops.Detector, PNet, PNetLarge, RNet, RNetLarge, ONet, Landmarks, Recognition, Recognition with { Name = "dlib ResNet, chip + mirror (batch 2)", Batch = 2 },
            Recognition with { Name = "dlib ResNet, batch 16 (concurrent requests)", Batch = 16 },
            // Same multiply-adds in int8 (RecognitionPrecision=Int8): its GFLOP/s are float32-equivalent.
            Recognition with { Name = "dlib ResNet int8, chip + mirror (batch 2)", ModelFile = RecognitionNet.Int8ModelFile, Batch = 2 },
            Recognition with { Name = "dlib ResNet int8, batch 16", ModelFile = RecognitionNet.Int8ModelFile, Batch = 16 },
        ];
        foreach (var network in networks)
        {
            var gflop = 2e-9 * network.Batch * MultiplyAdds(sessions.ModelPath(network.ModelFile), network.InputSize);
            using var session = sessions.Open(network.ModelFile);
            long[] shape = [network.Batch, 3, network.InputSize, network.InputSize];
            using var input = OrtValue.CreateTensorValueFromMemory(PixelNoise(network.Batch * 3 * network.InputSize * network.InputSize), shape);
            using var runOptions = new RunOptions();
            var p50 = PipelineBenchmark.Summary.Of(PipelineBenchmark.TimeRuns(() => session.Run(runOptions, ["input"], [input], session.OutputNames).Dispose(), seconds)).P50;
            Print(network.Name, gflop, p50, measured);
        }

        // The same P-Net and R-Net inputs on the service's CPU kernels (Inference:MtcnnKernels): the same multiply-adds.
        var pnetKernel = PNetKernel.Load(sessions.ModelPath(MtcnnFaceDetector.PNetFile), sessions.IntraOpThreads);
        var rnetKernel = RNetKernel.Load(sessions.ModelPath(MtcnnFaceDetector.RNetFile), sessions.IntraOpThreads);
        foreach (var network in new[] { PNet, PNetLarge, RNet, RNetLarge })
        {
            var gflop = 2e-9 * network.Batch * MultiplyAdds(sessions.ModelPath(network.ModelFile), network.InputSize);
            var (columns, rows) = PNetKernel.OutputSize(network.InputSize, network.InputSize);
            var input = PixelNoise(network.ModelFile == MtcnnFaceDetector.PNetFile
                ? PNetKernel.InputLayout.For(network.InputSize, network.InputSize).Length
                : network.Batch * 3 * network.InputSize * network.InputSize);
            var outputs = new float[5 * Math.Max(rows * columns, network.Batch)];
            var outputCount = network.ModelFile == MtcnnFaceDetector.PNetFile ? rows * columns : network.Batch;
            Action run = network.ModelFile == MtcnnFaceDetector.PNetFile
                ? () => pnetKernel.Run(input, network.InputSize, network.InputSize, outputs.AsSpan(0, outputCount), outputs.AsSpan(outputCount, 4 * outputCount))
                : () => rnetKernel.Run(input, network.Batch, outputs.AsSpan(0, outputCount), outputs.AsSpan(outputCount, 4 * outputCount));
            var p50 = PipelineBenchmark.Summary.Of(PipelineBenchmark.TimeRuns(run, seconds)).P50;
            Print(network.Name + " (kernel)", gflop, p50, measured);
        }
        return 0;
    }

    /// <summary>
    /// Pixel values 0..255 from a fixed seed: an input of zeros made ONNX Runtime's MTCNN nets look 1.3-1.7x faster
    /// than on pixels (2026-12-07), which the nets never see.
    /// </summary>
    private static float[] PixelNoise(int length)
    {
        var random = new Random(19);
        var values = new float[length];
        for (var i = 0; i < values.Length; i++) values[i] = random.Next(256);
        return values;
    }

    private static void Print(string name, double gflop, double p50, double measuredPeak) =>
        Console.WriteLine($"{name,-44} {gflop,8:F3} {p50,8:F2} {gflop * 1000 / p50,8:F1} {gflop * 1000 / p50 / measuredPeak,17:P0}");

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
    /// The FP32 rate this machine reaches: every core runs fused multiply-adds on eight independent 512-bit accumulators
    /// for about <paramref name="duration"/>, all cores at once. What a network reaches is stated against this, not
    /// against the nominal figure (a virtual machine's clock, a turbo, a shared core). NaN without AVX-512.
    /// </summary>
    public static double MeasuredPeakGflops(TimeSpan duration)
    {
        const int Accumulators = 8, Iterations = 1 << 20;
        // Without AVX-512 the loop would be emulated: the nominal figure is all there is then.
        if (!Vector512.IsHardwareAccelerated) return double.NaN;
        var lanes = Vector512<float>.Count;
        var rounds = new long[Environment.ProcessorCount];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, rounds.Length, new ParallelOptions { MaxDegreeOfParallelism = rounds.Length }, core =>
        {
            var sink = 0f;
            while (clock.Elapsed < duration)
            {
                sink += Fma512(Iterations);
                rounds[core]++;
            }
            if (sink == 42f) Console.Write(""); // keeps the loops from being optimised away
        });
        var seconds = clock.Elapsed.TotalSeconds;
        return rounds.Sum() * (double)Iterations * Accumulators * lanes * 2 / seconds / 1e9;

        static float Fma512(int iterations)
        {
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector512<float> m = Vector512.Create(0.999999f), c = Vector512.Create(1e-7f);
            for (var i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
                a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        }
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
