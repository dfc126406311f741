using System.Diagnostics;
using FaceService.CommandLine;
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
    public const int PlaneBytes = RecognitionNet.ChipSize * RecognitionNet.ChipSize * 3;

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
            var box = found.MaxBy(f => f.Box.Width * f.Box.Height)!.Box;
            var chip = aligner.Cut(image, box, landmarker.Detect(image, [box])[0]);
            var file = $"{written++:D5}.rgb";
            File.WriteAllBytes(Path.Combine(outDir, file), RgbExport.ToRgb(chip));
            index.WriteLine($"{file}\t{photo.Path}\t{photo.Person}");
        }
        Console.WriteLine($"{written} chips from {photos.Count} photos of {set.Directory} written to {outDir}");
        return 0;
    }

    /// <summary>The chips of an export-chips folder, in index order, as NCHW float planes (RGB 0..255).</summary>
    public static List<(string Person, float[] Planes)> Load(string folder, int limit = int.MaxValue) =>
        File.ReadLines(Path.Combine(folder, "index.tsv")).Skip(1).Take(limit)
            .Select(line => line.Split('\t'))
            .Select(f => (f[2], ToPlanes(File.ReadAllBytes(Path.Combine(folder, f[0])))))
            .ToList();

    public static float[] ToPlanes(byte[] rgb)
    {
        const int pixels = RecognitionNet.ChipSize * RecognitionNet.ChipSize;
        var planes = new float[PlaneBytes];
        for (var p = 0; p < pixels; p++)
            for (var c = 0; c < 3; c++)
                planes[c * pixels + p] = rgb[p * 3 + c];
        return planes;
    }
}

/// <summary>
/// `int8`: the recognition net in float32 against its int8 build, on chips of an export-chips folder, each opened as the
/// service opens models (<see cref="OnnxSessionFactory"/>: ORT_ENABLE_ALL, --threads intra-op threads, spinning off).
/// Prints ms per chip at --batches (default 1,2,8) for each, alternating, and how far the int8 embeddings are from the
/// float32 ones: cosine per face, and the change of every pair's squared L2 distance (unit embeddings), with and without
/// mirror averaging. Options: --chips &lt;folder&gt; (required), --limit N (default 500), --seconds S per timing (default 3),
/// --rounds R (default 2), --models, --threads, --int8-file (default face_recognition_int8.onnx),
/// --dump-optimized &lt;file&gt; (the int8 graph after ORT's optimizations).
/// </summary>
public static class Int8Benchmark
{
    private const int Size = RecognitionNet.ChipSize;

    public static int Run(ToolArguments args)
    {
        var chipsDir = args.Get("chips", "") is { Length: > 0 } c ? c : throw new ArgumentException("--chips <export-chips folder> is required.");
        var chips = ChipExport.Load(chipsDir, args.Get("limit", 500));
        var batches = args.Get("batches", "1,2,8").Split(',').Select(int.Parse).ToArray();
        var seconds = args.Get("seconds", 3f);
        var rounds = args.Get("rounds", 2);
        var int8File = args.Get("int8-file", "face_recognition_int8.onnx");
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
            using var _ = new InferenceSession(Path.Combine(models, int8File), dumpOptions);
            Console.WriteLine($"optimized int8 graph written to {dump}");
        }

        using var fp32 = factory.Open(RecognitionNet.ModelFile);
        using var int8 = factory.Open(int8File);

        // Agreement first (it also warms both sessions up).
        var mirrored = chips.Select(x => Mirror(x.Planes)).ToList();
        var a = Embed(fp32, chips.Select(x => x.Planes).ToList());
        var b = Embed(int8, chips.Select(x => x.Planes).ToList());
        var am = Average(a, Embed(fp32, mirrored));
        var bm = Average(b, Embed(int8, mirrored));
        Report("single chip", a, b);
        Report("chip + mirror averaged", am, bm);
        var people = chips.Select(x => x.Person).ToArray();
        SamePersonReport(people, a, b);

        Console.WriteLine();
        Console.WriteLine($"{"batch",5} {"fp32 ms/chip",13} {"int8 ms/chip",13} {"speed-up",9}   (best of {rounds} alternating rounds of {seconds:F0} s; load average before each round)");
        foreach (var batch in batches)
        {
            var input = new float[batch * ChipExport.PlaneBytes];
            for (var i = 0; i < batch; i++) chips[i % chips.Count].Planes.CopyTo(input, i * ChipExport.PlaneBytes);
            double bestA = double.MaxValue, bestB = double.MaxValue;
            var loads = new List<string>();
            for (var r = 0; r < rounds; r++)
            {
                loads.Add(InferenceHost.LoadAverage().Split(' ')[0]);
                bestA = Math.Min(bestA, Time(fp32, input, batch, seconds) / batch);
                bestB = Math.Min(bestB, Time(int8, input, batch, seconds) / batch);
            }
            Console.WriteLine($"{batch,5} {bestA,13:F2} {bestB,13:F2} {bestA / bestB,8:F2}x   (1-min load {string.Join(", ", loads)})");
        }
        Console.WriteLine($"load average after: {InferenceHost.LoadAverage()}");
        return 0;
    }

    private static float[] Mirror(float[] planes)
    {
        var result = new float[planes.Length];
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < Size; y++)
                for (var x = 0; x < Size; x++)
                    result[(c * Size + y) * Size + x] = planes[(c * Size + y) * Size + Size - 1 - x];
        return result;
    }

    private static float[][] Embed(InferenceSession session, List<float[]> chips, int batch = 8)
    {
        var result = new List<float[]>();
        for (var start = 0; start < chips.Count; start += batch)
        {
            var n = Math.Min(batch, chips.Count - start);
            var input = new float[n * ChipExport.PlaneBytes];
            for (var i = 0; i < n; i++) chips[start + i].CopyTo(input, i * ChipExport.PlaneBytes);
            var raw = Run(session, input, n);
            for (var i = 0; i < n; i++) result.Add(Normalized(raw.AsSpan(i * 128, 128).ToArray()));
        }
        return [.. result];
    }

    private static float[] Run(InferenceSession session, float[] input, int n)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [n, 3, Size, Size]);
        using var outputs = session.Run(new RunOptions(), ["input"], [value], ["embedding"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Time(InferenceSession session, float[] input, int n, double seconds)
    {
        Run(session, input, n);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            var watch = Stopwatch.StartNew();
            Run(session, input, n);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2]; // median ms per run
    }

    private static float[] Normalized(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static float[][] Average(float[][] a, float[][] b) =>
        [.. a.Select((v, i) => Normalized([.. v.Select((x, k) => x + b[i][k])]))];

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var k = 0; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }

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
