using FaceService.CommandLine;
using System.Diagnostics;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Evaluation;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;

namespace FaceService.Bench;

/// <summary>
/// `detectors`: the face detectors alone (no landmarks, no embeddings), one photo at a time, on lfw-dev, the dev photos
/// and the synthetic group photos of `accuracy` (<see cref="AccuracyBenchmark.SmallFacePhotos"/>), for the
/// SSD, MTCNN and ways of combining them: MTCNN only where the SSD finds nothing (Detector=SsdThenMtcnn); the SSD at a lower score threshold
/// with its weaker boxes confirmed by MTCNN's O-Net; the SSD plus MTCNN's faces the SSD did not find
/// (Detector=SsdAndMtcnn); MTCNN with the SSD where it finds nothing (Detector=MtcnnThenSsd, the default), and the same with ONNX Runtime running P-Net (MtcnnKernels=false). Per variant:
/// photos without a face, boxes beyond one per photo, the group and no-face photos, faces found in the synthetic
/// photos, and the time per photo (median and 95th percentile) by photo size.
/// Options: --variants (comma-separated names of <see cref="VariantNames"/>, default all), --limit N (first N lfw-dev
/// photos), --repeats N (runs of each synthetic photo, default 3), --low-threshold (default 0.2),
/// --confirm-probability (O-Net's probability that confirms a weak SSD box, default 0.9), and the inference settings of
/// every mode (--device, --threads, …).
/// </summary>
public static class DetectorBenchmark
{
    private static readonly string[] VariantNames = ["ssd", "mtcnn", "mtcnn-min20", "ssd-then-mtcnn", "ssd-low+onet", "ssd-and-mtcnn", "mtcnn-then-ssd", "mtcnn-then-ssd-ort"];

    public static int Run(ToolArguments args)
    {
        var lfw = LabelledPhotoSet.LoadShared("lfw-dev");
        var dev = LabelledPhotoSet.LoadShared("faces");
        var limit = args.Get("limit", int.MaxValue);
        var repeats = args.Get("repeats", 3);
        var lowThreshold = args.Get("low-threshold", 0.2f);
        var confirmProbability = args.Get("confirm-probability", 0.9f);
        var names = args.Get("variants", string.Join(',', VariantNames)).Split(',', StringSplitOptions.TrimEntries);
        if (names.Except(VariantNames).ToArray() is { Length: > 0 } unknown)
            throw new ArgumentException($"Unknown variant(s) {string.Join(", ", unknown)}; known: {string.Join(", ", VariantNames)}.");

        ServiceProvider Host(FaceDetectorKind kind, params (string Key, string Value)[] more) => InferenceHost.Build(args,
            more.Append((Key: nameof(InferenceOptions.Detector), Value: kind.ToString())).ToDictionary(s => s.Key, s => s.Value));
        using var ssdHost = Host(FaceDetectorKind.Ssd);
        using var ssdLowHost = Host(FaceDetectorKind.Ssd, (nameof(InferenceOptions.DetectorScoreThreshold), $"{lowThreshold}"));
        using var mtcnnHost = Host(FaceDetectorKind.Mtcnn);
        using var fallbackHost = Host(FaceDetectorKind.SsdThenMtcnn);
        using var unionHost = Host(FaceDetectorKind.SsdAndMtcnn);
        using var mtcnnFirstHost = Host(FaceDetectorKind.MtcnnThenSsd);
        using var mtcnnFirstOrtHost = Host(FaceDetectorKind.MtcnnThenSsd, (nameof(InferenceOptions.MtcnnKernels), "false"));
        using var mtcnn20Host = Host(FaceDetectorKind.Mtcnn, (nameof(InferenceOptions.MtcnnMinFaceSize), "20"));
        var decoder = ssdHost.GetRequiredService<SkiaImageDecoder>();
        var ssd = ssdHost.GetRequiredService<IFaceDetector>();
        var ssdLow = ssdLowHost.GetRequiredService<IFaceDetector>();
        var mtcnn = (MtcnnFaceDetector)mtcnnHost.GetRequiredService<IFaceDetector>();
        var mtcnn20 = mtcnn20Host.GetRequiredService<IFaceDetector>();
        var normalThreshold = ssdHost.GetRequiredService<InferenceOptions>().DetectorScoreThreshold;

        var variants = new Dictionary<string, Func<RgbaImage, IReadOnlyList<DetectedFace>>>
        {
            ["ssd"] = ssd.Detect,
            ["mtcnn"] = mtcnn.Detect,
            ["mtcnn-min20"] = mtcnn20.Detect,
            ["ssd-then-mtcnn"] = fallbackHost.GetRequiredService<IFaceDetector>().Detect,
            ["ssd-low+onet"] = image => ConfirmWeakBoxes(image, ssdLow.Detect(image), mtcnn, normalThreshold, confirmProbability),
            ["ssd-and-mtcnn"] = unionHost.GetRequiredService<IFaceDetector>().Detect,
            ["mtcnn-then-ssd"] = mtcnnFirstHost.GetRequiredService<IFaceDetector>().Detect,
            ["mtcnn-then-ssd-ort"] = mtcnnFirstOrtHost.GetRequiredService<IFaceDetector>().Detect,
        };

        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average at start {InferenceHost.LoadAverage()}");
        Console.WriteLine($"settings: {InferenceHost.DescribeSettings(ssdHost)}");
        Console.WriteLine($"ssd-low: DetectorScoreThreshold {lowThreshold}, boxes under {normalThreshold} kept when O-Net's face probability ≥ {confirmProbability}");

        var lfwPhotos = lfw.Photos.Take(limit).Select(p => (p.Path, Image: decoder.Decode(lfw.Read(p)))).ToList();
        var devPhotos = dev.Photos.Select(p => (p.Path, p.Person, Image: decoder.Decode(dev.Read(p)))).ToList();
        // The group photos of `bench accuracy`: 24 lfw-dev faces each, 60-100 px on 4000x3000, 40-70 px on 2000x1500,
        // 40-80 px on 7200x5400 (39 MP, just under the pixel limit).
        var synthetic = AccuracyBenchmark.SmallFacePhotos(lfw, dev, "").Select(p => (p.Name, p.Photo, Image: decoder.Decode(p.Photo.Jpeg))).ToArray();
        Console.WriteLine($"lfw-dev: {lfwPhotos.Count} photos; dev set: {devPhotos.Count} photos; synthetic group photos: {synthetic.Length}");

        Dictionary<string, IReadOnlyList<DetectedFace>>? ssdOnLfw = null;
        foreach (var name in names)
        {
            var detect = variants[name];
            detect(devPhotos[0].Image); // first run pays for session initialisation
            Console.WriteLine();
            Console.WriteLine($"== {name} (load average {InferenceHost.LoadAverage()})");

            var lfwTimes = new List<double>();
            var lfwFaces = lfwPhotos.ToDictionary(p => p.Path, p => Timed(detect, p.Image, lfwTimes));
            var missed = lfwFaces.Where(kv => kv.Value.Count == 0).Select(kv => Path.GetFileNameWithoutExtension(kv.Key)).ToList();
            var extra = lfwFaces.Values.Sum(f => Math.Max(0, f.Count - 1));
            Console.WriteLine($"lfw-dev: {missed.Count} of {lfwPhotos.Count} without a face; {extra} boxes beyond one per photo " +
                              $"({(double)extra / lfwPhotos.Count:F3} per photo, {lfwFaces.Values.Count(f => f.Count > 1)} photos with more than one); " +
                              $"time per 250x250 photo {Describe(lfwTimes)}");
            if (missed.Count > 0) Console.WriteLine("  missed: " + string.Join(" ", missed));
            if (name == "ssd") ssdOnLfw = lfwFaces;
            else if (ssdOnLfw is not null && name.StartsWith("mtcnn", StringComparison.Ordinal)) CompareBoxes(lfwPhotos.Select(p => p.Path), ssdOnLfw, lfwFaces);

            var devTimes = new List<double>();
            var devMissed = new List<string>();
            foreach (var (path, person, image) in devPhotos)
            {
                var faces = Timed(detect, image, image.Width > 250 ? devTimes : null);
                if (person.StartsWith('_')) Console.WriteLine($"  {path}: {faces.Count} face(s)");
                else if (faces.Count == 0) devMissed.Add(path);
            }
            Console.WriteLine($"dev set: {devMissed.Count} of {devPhotos.Count(p => !p.Person.StartsWith('_'))} without a face" +
                              (devMissed.Count > 0 ? $" ({string.Join(" ", devMissed)})" : "") +
                              $"; time per larger photo (374-2333 px, {devTimes.Count}) {Describe(devTimes)}");

            foreach (var (photoName, photo, image) in synthetic)
            {
                var times = new List<double>();
                IReadOnlyList<DetectedFace> faces = [];
                for (var r = 0; r < repeats; r++) faces = Timed(detect, image, times);
                var (found, other) = photo.Score(faces.Select(f => (f.Box.X + f.Box.Width / 2, f.Box.Y + f.Box.Height / 2)));
                Console.WriteLine($"synthetic {photoName}: {found} of {photo.Faces.Count} faces found, {other} other boxes; time {Describe(times)}");
            }
        }
        return 0;
    }

    /// <summary>Boxes at or over the normal threshold as they are; weaker ones only when O-Net calls them a face.</summary>
    private static IReadOnlyList<DetectedFace> ConfirmWeakBoxes(RgbaImage image, IReadOnlyList<DetectedFace> faces, MtcnnFaceDetector mtcnn,
        float normalThreshold, float confirmProbability)
    {
        var weak = faces.Where(f => f.Score < normalThreshold).ToArray();
        if (weak.Length == 0) return faces;
        var verdicts = mtcnn.Verify(image, weak.Select(f => f.Box).ToArray());
        var confirmed = weak.Where((_, i) => verdicts[i].Face.Score >= confirmProbability).ToHashSet();
        return faces.Where(f => f.Score >= normalThreshold || confirmed.Contains(f)).ToArray();
    }

    /// <summary>
    /// Where the SSD's box of the central face sits relative to this detector's on the lfw-dev photos where both found
    /// it (the 68-point landmark net was trained on boxes like the SSD's): the medians of each edge's offset, left and
    /// right in this box's widths, top and bottom in its heights; the form of <see cref="MtcnnFaceDetector.ToSsdFrame"/>.
    /// </summary>
    private static void CompareBoxes(IEnumerable<string> paths, Dictionary<string, IReadOnlyList<DetectedFace>> ssd, Dictionary<string, IReadOnlyList<DetectedFace>> other)
    {
        var edges = new List<double>[4];
        for (var e = 0; e < 4; e++) edges[e] = [];
        var ssdWidths = new List<double>();
        foreach (var path in paths)
        {
            if (Central(ssd[path]) is not { } s || Central(other[path]) is not { } o) continue;
            edges[0].Add((s.X - o.X) / o.Width);
            edges[1].Add((s.Y - o.Y) / o.Height);
            edges[2].Add((s.Right - o.Right) / o.Width);
            edges[3].Add((s.Bottom - o.Bottom) / o.Height);
            ssdWidths.Add(s.Width);
        }
        if (ssdWidths.Count == 0) return;
        Console.WriteLine($"  SSD box minus this one, central face of {ssdWidths.Count} photos (medians): left {Median(edges[0]):F3}, " +
                          $"top {Median(edges[1]):F3}, right {Median(edges[2]):F3}, bottom {Median(edges[3]):F3} " +
                          $"box sizes; SSD box width median {Median(ssdWidths):F1} px");
    }

    /// <summary>The box nearest the centre of a 250x250 LFW photo.</summary>
    private static FaceBox? Central(IReadOnlyList<DetectedFace> faces) =>
        faces.Count == 0 ? null : faces.MinBy(f => Math.Pow(f.Box.X + f.Box.Width / 2 - 125, 2) + Math.Pow(f.Box.Y + f.Box.Height / 2 - 125, 2)).Box;

    private static IReadOnlyList<DetectedFace> Timed(Func<RgbaImage, IReadOnlyList<DetectedFace>> detect, RgbaImage image, List<double>? times)
    {
        var watch = Stopwatch.StartNew();
        var faces = detect(image);
        times?.Add(watch.Elapsed.TotalMilliseconds);
        return faces;
    }

    private static string Describe(List<double> milliseconds) =>
        milliseconds.Count == 0 ? "n/a" : $"median {Median(milliseconds):F1} ms, p95 {Percentile(milliseconds, 0.95):F1} ms";

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double share)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(share * sorted.Length))];
    }
}
