using System.Numerics.Tensors;
using FaceService.CommandLine;
using FaceService.Core.Imaging;
using FaceService.Evaluation;
using FaceService.Inference;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.Bench;

/// <summary>
/// `export-chips`: the chips the service would embed, cut by its own pipeline (decoder, detector, landmarks, aligner) from
/// photos of a shared set, the largest face of each photo, written as raw 150x150 RGB (&lt;out&gt;/NNNNN.rgb, plus
/// index.tsv). Options: --set lfw-dev, --out &lt;folder outside the repository&gt; (required), --skip N, --limit N, and
/// <see cref="InferenceHost"/>'s. The int8 recognition graph's activation ranges are measured on such chips
/// (ModelBuilder quantization-ranges).
/// </summary>
public static class ChipExport
{
    public static int Run(ToolArguments args)
    {
        var set = LabelledPhotoSet.LoadShared(args.Get("set", "lfw-dev"));
        var outDir = args.Get("out", "") is { Length: > 0 } o ? Path.GetFullPath(o) : throw new ArgumentException("--out <folder> is required.");
        var photos = set.PersonPhotos.Skip(args.Get("skip", 0)).Take(args.Get("limit", int.MaxValue)).ToList();
        using var services = InferenceHost.Build(args);
        var decoder = services.GetRequiredService<SkiaImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        var landmarker = services.GetRequiredService<IFaceLandmarker>();
        var aligner = services.GetRequiredService<FaceChipAligner>();

        Directory.CreateDirectory(outDir);
        using var index = new StreamWriter(Path.Combine(outDir, "index.tsv"));
        index.WriteLine("file\tphoto\tperson");
        var written = 0;
        foreach (var photo in photos)
        {
            var image = decoder.Decode(set.Read(photo));
            var found = detector.Detect(image);
            if (found.Count == 0) continue;
            var box = found[0].Box; // the detector gives the largest face first
            var chip = aligner.Cut(image, box, landmarker.Detect(image, [box])[0]);
            var file = $"{written++:D5}.rgb";
            File.WriteAllBytes(Path.Combine(outDir, file), RgbExport.ToRgb(chip));
            index.WriteLine($"{file}\t{photo.Path}\t{photo.Person}");
        }
        Console.WriteLine($"{written} chips from {photos.Count} photos of {set.Directory} written to {outDir}");
        return 0;
    }

    /// <summary>The chips of an export-chips folder, in index order, with the person of each.</summary>
    public static List<(string Person, RgbaImage Chip)> Load(string folder, int limit = int.MaxValue) =>
        File.ReadLines(Path.Combine(folder, "index.tsv")).Skip(1).Take(limit)
            .Select(line => line.Split('\t'))
            .Select(f => (f[2], FromRgb(File.ReadAllBytes(Path.Combine(folder, f[0])))))
            .ToList();

    private static RgbaImage FromRgb(byte[] rgb)
    {
        var pixels = new byte[RecognitionNet.ChipSize * RecognitionNet.ChipSize * 4];
        for (int i = 0, p = 0; i < rgb.Length; i += 3, p += 4)
            (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = (rgb[i], rgb[i + 1], rgb[i + 2], 255);
        return new RgbaImage(RecognitionNet.ChipSize, RecognitionNet.ChipSize, pixels);
    }
}

/// <summary>
/// `int8`: the recognition net in float32 against its int8 build (<see cref="RecognitionNet"/> with each
/// <see cref="RecognitionPrecision"/>, opened as the service opens models: ORT_ENABLE_ALL, --threads intra-op threads,
/// spinning off), on chips of an export-chips folder. Prints how far the int8 embeddings are from the float32 ones
/// (cosine per face, and the change of every pair's squared L2 distance, with and without mirror averaging), then ms per
/// chip at --batches (default 1,2,8) for each, alternating. Options: --chips &lt;folder&gt; (required), --limit N (default
/// 500), --seconds S per timing (default 3), --rounds R (default 2), --models, --threads, --dump-optimized &lt;file&gt;
/// (the int8 graph after ORT's optimizations).
/// </summary>
public static class Int8Benchmark
{
    public static int Run(ToolArguments args)
    {
        var chipsDir = args.Get("chips", "") is { Length: > 0 } c ? c : throw new ArgumentException("--chips <export-chips folder> is required.");
        var chips = ChipExport.Load(chipsDir, args.Get("limit", 500));
        var batches = args.Get("batches", "1,2,8").Split(',').Select(int.Parse).ToArray();
        var seconds = args.Get("seconds", 3);
        var rounds = args.Get("rounds", 2);
        var dump = args.Get("dump-optimized", "");
        var options = new InferenceOptions
        {
            ModelsPath = args.Get("models", "models"),
            Device = InferenceDevice.Cpu,
            IntraOpThreads = args.Get("threads", 2),
        };
        var models = Path.GetFullPath(options.ModelsPath);
        var factory = new OnnxSessionFactory(options, models, NullLogger<OnnxSessionFactory>.Instance);
        Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {options.IntraOpThreads} intra-op threads, spinning off, " +
                          $"{chips.Count} chips of {chipsDir}; load average {InferenceHost.LoadAverage()}");

        if (dump.Length > 0)
        {
            using var dumpOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = dump };
            using var _ = new InferenceSession(Path.Combine(models, RecognitionNet.Int8ModelFile), dumpOptions);
            Console.WriteLine($"optimized int8 graph written to {dump}");
        }

        using var fp32 = new RecognitionNet(factory, RecognitionPrecision.Float32);
        using var int8 = new RecognitionNet(factory, RecognitionPrecision.Int8);

        // Agreement first (it also warms both sessions up).
        var faces = chips.Select(x => x.Chip).ToList();
        Report("single chip", Embed(fp32, faces, mirror: false), Embed(int8, faces, mirror: false));
        var a = Embed(fp32, faces, mirror: true);
        var b = Embed(int8, faces, mirror: true);
        Report("chip + mirror averaged", a, b);
        SamePersonReport(chips.Select(x => x.Person).ToArray(), a, b);

        Console.WriteLine();
        Console.WriteLine($"{"batch",5} {"fp32 ms/chip",13} {"int8 ms/chip",13} {"speed-up",9}   (best of {rounds} alternating rounds of {seconds} s; load average before each round)");
        foreach (var batch in batches)
        {
            var input = Enumerable.Range(0, batch).Select(i => faces[i % faces.Count]).ToArray();
            double bestA = double.MaxValue, bestB = double.MaxValue;
            var loads = new List<string>();
            for (var r = 0; r < rounds; r++)
            {
                loads.Add(InferenceHost.LoadAverage().Split(' ')[0]);
                bestA = Math.Min(bestA, MedianMs(fp32, input, seconds) / batch);
                bestB = Math.Min(bestB, MedianMs(int8, input, seconds) / batch);
            }
            Console.WriteLine($"{batch,5} {bestA,13:F2} {bestB,13:F2} {bestA / bestB,8:F2}x   (1-min load {string.Join(", ", loads)})");
        }
        Console.WriteLine($"load average after: {InferenceHost.LoadAverage()}");
        return 0;
    }

    /// <summary>Unit embeddings of the chips in runs of 8 chips, as the pipeline embeds them (each with its mirror image, averaged).</summary>
    private static float[][] Embed(RecognitionNet net, List<RgbaImage> chips, bool mirror) =>
        [.. chips.Chunk(mirror ? 4 : 8).SelectMany(run => mirror ? MirrorAveraging.Average(net.Embed(MirrorAveraging.WithMirrors(run))) : net.Embed(run))];

    private static double MedianMs(RecognitionNet net, RgbaImage[] chips, int seconds) =>
        PipelineBenchmark.Summary.Of(PipelineBenchmark.TimeRuns(() => net.Embed(chips), seconds)).P50;

    private static double Dot(float[] a, float[] b) => TensorPrimitives.Dot<float>(a, b);
    private static void Report(string what, float[][] a, float[][] b)
    {
        var cosines = a.Select((v, i) => Dot(v, b[i])).OrderBy(x => x).ToArray();
        double maxDelta = 0, sumDelta = 0;
        long pairs = 0;
        var deltas = new List<double>();
        for (var i = 0; i < a.Length; i++)
            for (var j = i + 1; j < a.Length; j++)
            {
                var d = Math.Abs((2 - 2 * Dot(a[i], a[j])) - (2 - 2 * Dot(b[i], b[j])));
                maxDelta = Math.Max(maxDelta, d);
                sumDelta += d;
                pairs++;
                if ((pairs & 15) == 0) deltas.Add(d);
            }
        deltas.Sort();
        Console.WriteLine($"{what}: {a.Length} faces; cosine(fp32, int8) min {cosines[0]:F5}, mean {cosines.Average():F5}, p1 {cosines[cosines.Length / 100]:F5}; " +
                          $"|Δ squared L2| over {pairs:N0} pairs: max {maxDelta:F4}, mean {sumDelta / pairs:F4}, p99 {deltas[(int)(deltas.Count * 0.99)]:F4}, p99.9 {deltas[(int)(deltas.Count * 0.999)]:F4}");
    }

    // Pairs of the same person: the distances that matter at the verify threshold.
    private static void SamePersonReport(string[] people, float[][] a, float[][] b)
    {
        var deltas = new List<double>();
        var near = new List<double>();
        for (var i = 0; i < a.Length; i++)
            for (var j = i + 1; j < a.Length; j++)
            {
                var da = 2 - 2 * Dot(a[i], a[j]);
                var d = Math.Abs(da - (2 - 2 * Dot(b[i], b[j])));
                if (people[i] == people[j]) deltas.Add(d);
                if (da is > 0.09 and < 0.19) near.Add(d);
            }
        if (deltas.Count > 0)
            Console.WriteLine($"same-person pairs: {deltas.Count}, |Δ| max {deltas.Max():F4}, mean {deltas.Average():F4}");
        if (near.Count > 0)
            Console.WriteLine($"pairs with fp32 distance 0.09..0.19 (near the ~0.14 threshold): {near.Count}, |Δ| max {near.Max():F4}, mean {near.Average():F4}");
    }
}
