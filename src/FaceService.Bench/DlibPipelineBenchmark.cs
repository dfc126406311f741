using FaceService.CommandLine;
using System.Globalization;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Evaluation;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// `dlib-pipeline`: the chip levers on identical faces of lfw-dev (or the dev set). Reads what
/// `tests/parity/dlib/bin/dlib_reference pipeline` wrote (one face per photo: the HOG box nearest the centre, or a
/// fixed fallback box; dlib's 68 landmarks; dlib's extract_image_chip chip as PNG), checks that <see cref="DlibShapePredictor"/> gives the same landmarks on the
/// same boxes, and embeds each face's chip from three sources with our recognition net:
/// (1) dlib's own chip; (2) our chip (<see cref="FaceChipAligner"/>, Skia) from dlib's landmarks: the resampling lever;
/// (3) our chip from face-api's landmarks on the service's detector box (the SSD face overlapping dlib's box most, or
/// dlib's box where the SSD finds none): the default pipeline's chip, so (2) against (3) is the landmark lever.
/// Per source: the accuracy mode's verification figures (sets with pairs.tsv), and over every pair of the set's faces
/// the mean squared distance of same-person and different-person pairs and their separation d′. Per pair of sources:
/// how the same pairs' distances change (paired, with its standard error: far more sensitive than error counts on 560
/// pairs), and how far the same face's embedding moves, for all faces and for faces whose box is 200 px or wider
/// (chips shrunk about 2x or more, where Skia's mipmaps and dlib's pyramid_down act).
/// Options: --pipeline &lt;dlib_reference pipeline output folder&gt; (required), --set lfw-dev|faces (the shared set
/// the output was made from; default lfw-dev), and the inference settings.
/// </summary>
public static class DlibPipelineBenchmark
{
    public static int Run(ToolArguments args)
    {
        var set = LabelledPhotoSet.LoadShared(args.Get("set", "lfw-dev"));
        var folder = args.Get("pipeline", "") is { Length: > 0 } p ? p : throw new ArgumentException("--pipeline <dlib_reference pipeline output> is required.");
        var rows = File.ReadLines(Path.Combine(folder, "landmarks.tsv")).Skip(1).Select(line => line.Split('\t')).ToDictionary(f => f[0]);
        var photos = set.Photos.Where(ph => rows.ContainsKey(ph.Path)).ToList();

        using var services = InferenceHost.Build(args, new Dictionary<string, string> { [nameof(InferenceOptions.Landmarker)] = nameof(LandmarkSource.FaceApi68) });
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {BenchMachine.DescribeMachine()}");
        Console.WriteLine($"{set.Directory}: {set.Photos.Count} photos, {photos.Count} with a dlib face ({rows.Values.Count(r => r[1] == "fallback")} on the fallback box, no HOG face)");
        var decoder = services.GetRequiredService<SkiaImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        var faceApi = services.GetRequiredService<IFaceLandmarker>();
        var embedder = services.GetRequiredService<BatchingFaceEmbedder>();
        var quantizer = services.GetRequiredService<IEmbeddingQuantizer>();
        var scorer = services.GetRequiredService<FaceQualityScorer>();
        using var predictor = DlibShapePredictor.Open(services.GetRequiredService<OnnxSessionFactory>().ModelsDirectory);
        var aligner = new FaceChipAligner(FaceAlignment.Landmarks68);

        var faces = new (RgbaImage Photo, DlibRectangle Rect, Point2[] Points, FaceBox DetectorBox)[photos.Count];
        var (differing, withoutDetectorFace) = (0, 0);
        for (var i = 0; i < photos.Count; i++)
        {
            var f = rows[photos[i].Path];
            int At(int k) => int.Parse(f[k], CultureInfo.InvariantCulture);
            var rect = new DlibRectangle(At(2), At(3), At(4), At(5));
            var points = Enumerable.Range(0, FaceLandmarks.Count).Select(k => new Point2(At(6 + 2 * k), At(7 + 2 * k))).ToArray();
            var photo = decoder.Decode(set.Read(photos[i]));
            differing += predictor.Predict(photo, rect).Where((q, k) => q != points[k]).Count();
            var dlibBox = new FaceBox(rect.Left, rect.Top, rect.Width, rect.Height);
            var overlapping = detector.Detect(photo).Select(d => d.Box).Where(b => Overlap(b, dlibBox) > 0.3).ToList();
            if (overlapping.Count == 0) withoutDetectorFace++;
            faces[i] = (photo, rect, points, overlapping.Count > 0 ? overlapping.MaxBy(b => Overlap(b, dlibBox)) : dlibBox);
        }
        Console.WriteLine($"DlibShapePredictor against dlib on the same boxes: {faces.Length * FaceLandmarks.Count} points, {differing} differ");
        Console.WriteLine($"service's detector: no face overlapping dlib's box (IoU > 0.3) in {withoutDetectorFace} photos; face-api's landmarks on dlib's box there");

        var sources = new (string Name, Func<int, RgbaImage> Chip)[]
        {
            ("(1) dlib: dlib's landmarks, dlib's chip (extract_image_chip)", i => decoder.Decode(File.ReadAllBytes(Path.Combine(folder, "chips", photos[i].Path + ".png")))),
            ("(2) dlib's landmarks, our chip (FaceChipAligner)", i => aligner.Align(faces[i].Photo, DlibShapePredictor.ToImageLandmarks(faces[i].Points))),
            ("(3) face-api's landmarks, our chip (the default pipeline's)", i => aligner.Align(faces[i].Photo, faceApi.Detect(faces[i].Photo, [faces[i].DetectorBox])[0])),
        };
        var embeddings = new List<float[][]>();
        foreach (var (name, chip) in sources)
        {
            Console.WriteLine();
            Console.WriteLine($"== {name}");
            var chips = Enumerable.Range(0, photos.Count).Select(chip).ToArray();
            var embedded = chips.Chunk(16).SelectMany(batch => embedder.EmbedAsync(batch).GetAwaiter().GetResult()).ToArray();
            embeddings.Add(embedded);
            if (set.Pairs.Count == 0) continue;
            AccuracyBenchmark.ReportVerification(set, [.. photos.Select((photo, i) =>
            {
                var quality = scorer.Score(1, FivePointLayout.FromSixtyEight(faces[i].Points), ChipSharpness.Measure(chips[i]));
                var face = new EmbeddedFace(faces[i].DetectorBox, 1, faces[i].Points, quality, embedded[i], quantizer.Quantize(embedded[i]));
                return new AccuracyBenchmark.PhotoFaces(photo, faces[i].Photo.Width, faces[i].Photo.Height, [face]);
            })]);
        }

        Console.WriteLine();
        var people = Enumerable.Range(0, photos.Count).Where(i => !photos[i].Person.StartsWith('_')).ToArray();
        var distances = embeddings.Select(e => PairDistances(people, photos, e)).ToArray();
        for (var k = 0; k < distances.Length; k++)
        {
            var (same, different) = distances[k];
            var dPrime = (different.Average() - same.Average()) / Math.Sqrt((Variance(same) + Variance(different)) / 2);
            Console.WriteLine($"chip ({k + 1}): {same.Length} same-person pairs, squared distance mean {same.Average():F4}; " +
                              $"{different.Length} different-person pairs, mean {different.Average():F4}; d′ {dPrime:F3}");
        }
        foreach (var (a, b) in new[] { (0, 1), (1, 2), (0, 2) })
        {
            var sameChange = distances[b].Same.Zip(distances[a].Same, (x, y) => x - y).ToArray();
            var differentChange = distances[b].Different.Zip(distances[a].Different, (x, y) => x - y).Average();
            Console.WriteLine($"chip ({b + 1}) against chip ({a + 1}), the same pairs: same-person distances {sameChange.Average():+0.0000;-0.0000} " +
                              $"± {Math.Sqrt(Variance(sameChange) / sameChange.Length):F4} (standard error), different-person distances {differentChange:+0.0000;-0.0000}");
        }
        var large = Enumerable.Range(0, photos.Count).Where(i => faces[i].Rect.Width >= 200).ToArray();
        foreach (var (a, b) in new[] { (0, 1), (1, 2), (0, 2) })
        {
            ReportMoves($"same face, chip ({a + 1}) against chip ({b + 1})", Enumerable.Range(0, photos.Count), embeddings[a], embeddings[b]);
            if (large.Length > 0) ReportMoves($"  boxes ≥ 200 px ({large.Length} faces)", large, embeddings[a], embeddings[b]);
        }
        return 0;
    }

    /// <summary>Squared distances of every pair of the given faces: same person, and different people.</summary>
    private static (double[] Same, double[] Different) PairDistances(int[] faces, List<LabelledPhoto> photos, float[][] embeddings)
    {
        var same = new List<double>();
        var different = new List<double>(faces.Length * (faces.Length - 1) / 2);
        for (var x = 0; x < faces.Length; x++)
        for (var y = x + 1; y < faces.Length; y++)
            (photos[faces[x]].Person == photos[faces[y]].Person ? same : different).Add(EmbeddingMath.SquaredDistance(embeddings[faces[x]], embeddings[faces[y]]));
        return ([.. same], [.. different]);
    }

    private static double Variance(double[] values)
    {
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }

    private static void ReportMoves(string name, IEnumerable<int> faces, float[][] a, float[][] b)
    {
        var moved = faces.Select(i => EmbeddingMath.SquaredDistance(a[i], b[i])).Order().ToArray();
        Console.WriteLine($"{name}: squared distance mean {moved.Average():F4}, median {Quantile(moved, 0.5):F4}, " +
                          $"95th percentile {Quantile(moved, 0.95):F4}, max {moved[^1]:F4}");
    }

    private static float Quantile(float[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Overlap(FaceBox a, FaceBox b)
    {
        var intersection = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X)) * Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        return intersection / (a.Area + b.Area - intersection);
    }
}
