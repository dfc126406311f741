using System.Diagnostics;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Bench;

/// <summary>
/// `accuracy`: the service's face pipeline on the shared labelled sets (lfw-dev and the dev photos), for one or more
/// variants of the inference settings. Per variant: images without a face, extra faces, the no-face and group photos,
/// LFW-protocol accuracy ± standard error on lfw-dev's pairs (all, and answered only), accuracy at the default
/// threshold, and TAR at FAR 1e-3 / 1e-4 over every different-person pair of lfw-dev.
/// Options: --variants "default;Alignment=FivePoint;DetectorScoreThreshold=0.3,MinFaceSize=30" (Inference settings,
/// ';' between variants, ',' within one), --lfw-dev, --faces (folders), --limit N (first N lfw-dev photos, for a quick look),
/// and the inference settings of every mode (--device, --threads, …).
/// </summary>
public static class AccuracyBenchmark
{
    public static int Run(BenchArguments args)
    {
        var lfw = args.Get("lfw-dev", "") is { Length: > 0 } l ? LabelledPhotoSet.Load(l) : LabelledPhotoSet.LoadShared("lfw-dev");
        var dev = args.Get("faces", "") is { Length: > 0 } f ? LabelledPhotoSet.Load(f) : LabelledPhotoSet.LoadShared("faces");
        var limit = args.Get("limit", int.MaxValue);
        var variants = ParseVariants(args.Get("variants", "default"));
        var groupPhotos = SmallFacePhotos(lfw, dev, args.Get("save-photos", ""));

        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchArguments.DescribeMachine()}");
        Console.WriteLine($"lfw-dev: {lfw.Photos.Count} photos, {lfw.Pairs.Count} protocol pairs; dev set: {dev.Photos.Count} photos");

        foreach (var (name, settings) in variants)
        {
            using var services = InferenceHost.Build(args, settings);
            Console.WriteLine();
            Console.WriteLine($"== variant {name}: {InferenceHost.DescribeSettings(services)}");
            var pipeline = services.GetRequiredService<IFacePipeline>();
            var watch = Stopwatch.StartNew();
            var lfwFaces = Analyze(pipeline, lfw, lfw.Photos.Take(limit).ToList());
            var devFaces = Analyze(pipeline, dev, dev.Photos);
            Console.WriteLine($"analysed {lfwFaces.Count + devFaces.Count} photos in {watch.Elapsed.TotalSeconds:F0} s");
            ReportDetection("lfw-dev", lfwFaces);
            ReportDetection("dev set", devFaces);
            ReportSmallFaces(pipeline, groupPhotos);
            ReportVerification(lfw, lfwFaces);
        }
        return 0;
    }

    /// <summary>
    /// Group photos of 24 lfw-dev faces each: 4000x3000 with faces 60-100 px wide on a landscape, 2000x1500 with faces
    /// 40-70 px on plain grey, and 7200x5400 (39 MP, just under the default pixel limit) with faces 40-80 px on a landscape.
    /// </summary>
    public static IReadOnlyList<(string Name, SyntheticGroupPhoto Photo)> SmallFacePhotos(LabelledPhotoSet lfw, LabelledPhotoSet dev, string saveDirectory)
    {
        var shuffled = lfw.PersonPhotos.DistinctBy(p => p.Person).OrderBy(p => p.Path, StringComparer.Ordinal).ToArray();
        new Random(20261203).Shuffle(shuffled);
        var landscape = dev.Read(dev.Photos.First(p => p.Path.EndsWith("pilatus800.jpg", StringComparison.Ordinal)));
        (string Name, int Width, int Height, float Min, float Max, byte[]? Background)[] specs =
        [
            ("4000x3000, faces 60-100 px, landscape", 4000, 3000, 60, 100, landscape),
            ("2000x1500, faces 40-70 px, plain", 2000, 1500, 40, 70, null),
            ("7200x5400, faces 40-80 px, landscape", 7200, 5400, 40, 80, landscape),
        ];
        return specs.Select((spec, i) =>
        {
            var portraits = shuffled.Skip(24 * i).Take(24).Select(p => (p.Person, lfw.Read(p))).ToList();
            var photo = SyntheticGroupPhoto.Compose(spec.Width, spec.Height, portraits, spec.Min, spec.Max, spec.Background, seed: i + 1);
            if (saveDirectory.Length > 0) File.WriteAllBytes(Path.Combine(saveDirectory, $"group-{spec.Width}x{spec.Height}.jpg"), photo.Jpeg);
            return (spec.Name, photo);
        }).ToList();
    }

    private static void ReportSmallFaces(IFacePipeline pipeline, IReadOnlyList<(string Name, SyntheticGroupPhoto Photo)> photos)
    {
        foreach (var (name, photo) in photos)
        {
            var watch = Stopwatch.StartNew();
            var analysis = pipeline.AnalyzeAsync(photo.Jpeg, FaceAnalysisOptions.DetectOnly).GetAwaiter().GetResult();
            var (found, falseDetections) = photo.Score(analysis.Faces.Select(f => (f.Box.X + f.Box.Width / 2, f.Box.Y + f.Box.Height / 2)));
            Console.WriteLine($"small faces, {name}: {found} of {photo.Faces.Count} found, {falseDetections} other boxes, detect {watch.ElapsedMilliseconds} ms");
        }
    }

    private static List<(string Name, Dictionary<string, string> Settings)> ParseVariants(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v =>
        {
            var settings = v == "default"
                ? new Dictionary<string, string>()
                : v.Split(',', StringSplitOptions.TrimEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            return (v, settings);
        }).ToList();

    internal sealed record PhotoFaces(LabelledPhoto Photo, int Width, int Height, IReadOnlyList<AnalyzedFace> Faces);

    private static List<PhotoFaces> Analyze(IFacePipeline pipeline, LabelledPhotoSet set, IReadOnlyList<LabelledPhoto> photos)
    {
        var results = new PhotoFaces[photos.Count];
        Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var analysis = pipeline.AnalyzeAsync(set.Read(photos[i]), FaceAnalysisOptions.AllFaces).GetAwaiter().GetResult();
            results[i] = new PhotoFaces(photos[i], analysis.ImageWidth, analysis.ImageHeight, analysis.Faces);
        });
        return [.. results];
    }

    private static void ReportDetection(string setName, List<PhotoFaces> photos)
    {
        var people = photos.Where(p => !p.Photo.Person.StartsWith('_')).ToList();
        var missed = people.Where(p => p.Faces.Count == 0).ToList();
        var extra = people.Sum(p => Math.Max(0, p.Faces.Count - 1));
        Console.WriteLine($"{setName}: {missed.Count} of {people.Count} person photos without a face; {extra} faces beyond one per photo; " +
                          $"another face than the central one chosen by 'largest' in {people.Count(p => OtherFace(p, p.Faces.FirstOrDefault()))}, by the primary-face rule in {people.Count(p => OtherFace(p, Primary(p)))}");
        if (missed.Count > 0) Console.WriteLine("  missed: " + string.Join(" ", missed.Select(p => Path.GetFileNameWithoutExtension(p.Photo.Path))));
        foreach (var special in photos.Where(p => p.Photo.Person.StartsWith('_')))
            Console.WriteLine($"  {special.Photo.Path}: {special.Faces.Count} face(s)");
    }

    /// <summary>The face a 1:1 request compares.</summary>
    private static AnalyzedFace? Primary(PhotoFaces p) =>
        p.Faces.Count == 0 ? null : p.Faces[PrimaryFace.Select(p.Faces.Select(f => (f.Box, f.Score)).ToList(), p.Width, p.Height)];

    /// <summary>Whether <paramref name="chosen"/> is a face apart from the central one (not a second box on the same face).</summary>
    private static bool OtherFace(PhotoFaces p, AnalyzedFace? chosen)
    {
        if (chosen is null || Central(p) is not { } central || chosen == central) return false;
        var (a, b) = (chosen.Box, central.Box);
        var overlap = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X)) * Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        return overlap < 0.5f * Math.Min(a.Area, b.Area);
    }

    /// <summary>The face whose centre is nearest the image centre (LFW's subject).</summary>
    private static AnalyzedFace? Central(PhotoFaces p) => p.Faces.MinBy(f =>
    {
        var (dx, dy) = (f.Box.X + f.Box.Width / 2 - p.Width / 2f, f.Box.Y + f.Box.Height / 2 - p.Height / 2f);
        return dx * dx + dy * dy;
    });

    internal static void ReportVerification(LabelledPhotoSet set, List<PhotoFaces> photos)
    {
        var quantizer = new EmbeddingQuantizer();
        foreach (var (rule, choose) in new (string, Func<PhotoFaces, AnalyzedFace?>)[] { ("largest", p => p.Faces.FirstOrDefault()), ("primary", Primary) })
        {
            var byPath = photos.ToDictionary(p => p.Photo.Path, p => choose(p) is { } face ? quantizer.Dequantize(face.Code!) : null);
            var pairs = set.Pairs.Where(p => byPath.ContainsKey(p.PathA) && byPath.ContainsKey(p.PathB)).Select(p =>
                new ScoredPair(p.Fold, p.Same, byPath[p.PathA] is { } a && byPath[p.PathB] is { } b ? EmbeddingMath.SquaredDistance(a, b) : null)).ToList();
            var all = PairProtocol.Evaluate(pairs);
            var answered = PairProtocol.Evaluate(pairs, answeredOnly: true);
            var balanced = PairProtocol.Evaluate(pairs, answeredOnly: true, balanced: true);
            Console.WriteLine($"lfw-dev pairs, {rule} face: {pairs.Count} pairs, {pairs.Count(p => p.Distance is null)} unanswered; LFW protocol {all.Accuracy:P2} ± {all.StandardError:P2} " +
                              $"(answered only {answered.Accuracy:P2} ± {answered.StandardError:P2}, {answered.Errors} errors; balanced {balanced.Accuracy:P2} ± {balanced.StandardError:P2}), " +
                              $"mean threshold {answered.MeanThreshold:F3}; at {VerificationDefaults.Threshold}: {PairProtocol.AccuracyAt(pairs, VerificationDefaults.Threshold):P2}");

            // Every pair of photos of different people (the subject face of each), and every same-person pair.
            var faces = photos.Where(p => byPath[p.Photo.Path] is not null).Select(p => (p.Photo.Person, Embedding: byPath[p.Photo.Path]!)).ToList();
            var impostor = new List<float>(faces.Count * faces.Count / 2);
            var genuine = new List<float>();
            for (var i = 0; i < faces.Count; i++)
            for (var j = i + 1; j < faces.Count; j++)
                (faces[i].Person == faces[j].Person ? genuine : impostor).Add(EmbeddingMath.SquaredDistance(faces[i].Embedding, faces[j].Embedding));
            var far = new DistanceDistribution(impostor);
            var tar = new DistanceDistribution(genuine);
            Console.Write($"  {far.Count} different-person pairs, {tar.Count} same-person pairs; FAR at {VerificationDefaults.Threshold}: {far.ShareAtOrBelow(VerificationDefaults.Threshold):E2}");
            foreach (var rate in new[] { 1e-3, 1e-4, 1e-5 })
            {
                var t = far.ThresholdForShare(rate);
                Console.Write($"; FAR {rate:0e0}: threshold {t:F3}, TAR {tar.ShareAtOrBelow(t):P1}");
            }
            Console.WriteLine();
        }
    }
}
