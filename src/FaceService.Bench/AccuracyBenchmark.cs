using FaceService.CommandLine;
using System.Diagnostics;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;

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
    public static int Run(ToolArguments args)
    {
        var lfw = args.Get("lfw-dev", "") is { Length: > 0 } l ? LabelledPhotoSet.Load(l) : LabelledPhotoSet.LoadShared("lfw-dev");
        var dev = args.Get("faces", "") is { Length: > 0 } f ? LabelledPhotoSet.Load(f) : LabelledPhotoSet.LoadShared("faces");
        var limit = args.Get("limit", int.MaxValue);
        var variants = ParseVariants(args.Get("variants", "default"));
        var groupPhotos = SmallFacePhotos(lfw, dev, args.Get("save-photos", ""));

        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        Console.WriteLine($"lfw-dev: {lfw.Photos.Count} photos, {lfw.Pairs.Count} protocol pairs; dev set: {dev.Photos.Count} photos");
        // MTCNN's O-Net, a second opinion on every box (whichever detector found it).
        using var judgeServices = InferenceHost.Build(args, new Dictionary<string, string> { [nameof(InferenceOptions.Detector)] = nameof(FaceDetectorKind.Mtcnn) });
        var judge = (MtcnnFaceDetector)judgeServices.GetRequiredService<IFaceDetector>();
        var decoder = judgeServices.GetRequiredService<SkiaImageDecoder>();

        foreach (var (name, settings) in variants)
        {
            using var services = InferenceHost.Build(args, settings);
            Console.WriteLine();
            Console.WriteLine($"== variant {name}: {InferenceHost.DescribeSettings(services)}");
            var pipeline = services.GetRequiredService<IFacePipeline>();
            var watch = Stopwatch.StartNew();
            var lfwFaces = Analyze(pipeline, lfw, lfw.Photos.Take(limit).ToList());
            var devFaces = Analyze(pipeline, dev, dev.Photos);
            Console.WriteLine($"analyzed {lfwFaces.Count + devFaces.Count} photos in {watch.Elapsed.TotalSeconds:F0} s");
            ReportDetection("lfw-dev", lfwFaces);
            ReportDetection("dev set", devFaces);
            var groupFaces = ReportSmallFaces(pipeline, groupPhotos);
            ReportFalseDetections(judge, decoder,
                [.. lfwFaces.Select(p => (p.Photo.Path, (Func<byte[]>)(() => lfw.Read(p.Photo)), p.Faces)),
                 .. devFaces.Select(p => (p.Photo.Path, (Func<byte[]>)(() => dev.Read(p.Photo)), p.Faces)),
                 .. groupFaces]);
            ReportVerification(lfw, lfwFaces);
        }
        return 0;
    }

    /// <summary><see cref="SmallFaceGroupPhotos"/>, each also written to <paramref name="saveDirectory"/> when one is given.</summary>
    public static IReadOnlyList<(string Name, SyntheticGroupPhoto Photo)> SmallFacePhotos(LabelledPhotoSet lfw, LabelledPhotoSet dev, string saveDirectory)
    {
        var photos = SmallFaceGroupPhotos.Compose(lfw, dev);
        if (saveDirectory.Length > 0)
            foreach (var (_, photo) in photos) File.WriteAllBytes(Path.Combine(saveDirectory, $"group-{photo.Width}x{photo.Height}.jpg"), photo.Jpeg);
        return photos;
    }

    private static List<(string Name, Func<byte[]> Read, IReadOnlyList<FoundFace> Faces)> ReportSmallFaces(
        IFacePipeline pipeline, IReadOnlyList<(string Name, SyntheticGroupPhoto Photo)> photos)
    {
        var analyzed = new List<(string, Func<byte[]>, IReadOnlyList<FoundFace>)>();
        foreach (var (name, photo) in photos)
        {
            var watch = Stopwatch.StartNew();
            var analysis = pipeline.DetectAsync(photo.Jpeg).GetAwaiter().GetResult();
            var (found, falseDetections) = photo.Score(analysis.Faces.Select(f => (f.Box.X + f.Box.Width / 2, f.Box.Y + f.Box.Height / 2)));
            Console.WriteLine($"small faces, {name}: {found} of {photo.Faces.Count} found, {falseDetections} other boxes, detect {watch.ElapsedMilliseconds} ms");
            analyzed.Add(($"group {photo.Width}x{photo.Height}", () => photo.Jpeg, analysis.Faces));
        }
        return analyzed;
    }

    /// <summary>
    /// Every box of every photo judged twice: do its five landmarks form a face (<see cref="FaceShape"/>), and does
    /// MTCNN's O-Net, a second model, call it a face (probability ≥ 0.5)? Boxes failing either are listed.
    /// </summary>
    private static void ReportFalseDetections(MtcnnFaceDetector judge, SkiaImageDecoder decoder,
        IReadOnlyList<(string Name, Func<byte[]> Read, IReadOnlyList<FoundFace> Faces)> photos)
    {
        int boxes = 0, badShape = 0, notFace = 0;
        var listed = new List<string>();
        foreach (var (name, read, faces) in photos.Where(p => p.Faces.Count > 0))
        {
            var verdicts = judge.Verify(decoder.Decode(read()), faces.Select(f => f.Box).ToArray());
            for (var i = 0; i < faces.Count; i++)
            {
                boxes++;
                var (shapeOk, onet) = (FaceShape.IsPlausible(faces[i].Box, faces[i].Landmarks), verdicts[i].Face.Score);
                if (!shapeOk) badShape++;
                if (onet < 0.5f) notFace++;
                if (!shapeOk || onet < 0.5f)
                {
                    var b = faces[i].Box;
                    listed.Add($"{name} ({b.X:F0},{b.Y:F0} {b.Width:F0}x{b.Height:F0}, score {faces[i].Score:F2}, O-Net {onet:F2}{(shapeOk ? "" : ", landmarks not a face")})");
                }
            }
        }
        Console.WriteLine($"false detections: of {boxes} boxes on all photos, {badShape} with landmarks that do not form a face, {notFace} that O-Net scores below 0.5");
        foreach (var line in listed) Console.WriteLine("  " + line);
    }

    private static List<(string Name, Dictionary<string, string> Settings)> ParseVariants(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v =>
        {
            var settings = v == "default"
                ? new Dictionary<string, string>()
                : v.Split(',', StringSplitOptions.TrimEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            return (v, settings);
        }).ToList();

    internal sealed record PhotoFaces(LabelledPhoto Photo, int Width, int Height, IReadOnlyList<EmbeddedFace> Faces);

    private static List<PhotoFaces> Analyze(IFacePipeline pipeline, LabelledPhotoSet set, IReadOnlyList<LabelledPhoto> photos)
    {
        var results = new PhotoFaces[photos.Count];
        Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var analysis = pipeline.AnalyzeAsync(set.Read(photos[i]), FaceSelection.All).GetAwaiter().GetResult();
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
    private static EmbeddedFace? Primary(PhotoFaces p) =>
        p.Faces.Count == 0 ? null : p.Faces[PrimaryFace.Select(p.Faces.Select(f => (f.Box, f.Score)).ToList(), p.Width, p.Height)];

    /// <summary>Whether <paramref name="chosen"/> is a face apart from the central one (not a second box on the same face).</summary>
    private static bool OtherFace(PhotoFaces p, EmbeddedFace? chosen)
    {
        if (chosen is null || Central(p) is not { } central || chosen == central) return false;
        var (a, b) = (chosen.Box, central.Box);
        var overlap = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X)) * Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        return overlap < 0.5f * Math.Min(a.Area, b.Area);
    }

    /// <summary>The face whose centre is nearest the image centre (LFW's subject).</summary>
    private static EmbeddedFace? Central(PhotoFaces p) => p.Faces.MinBy(f =>
    {
        var (dx, dy) = (f.Box.X + f.Box.Width / 2 - p.Width / 2f, f.Box.Y + f.Box.Height / 2 - p.Height / 2f);
        return dx * dx + dy * dy;
    });

    internal static void ReportVerification(LabelledPhotoSet set, List<PhotoFaces> photos)
    {
        var quantizer = new EmbeddingQuantizer();
        var byPath = photos.ToDictionary(p => p.Photo.Path, p => Primary(p) is { } face ? quantizer.Dequantize(face.Code) : null);
        var protocolPairs = set.Pairs.Where(p => byPath.ContainsKey(p.PathA) && byPath.ContainsKey(p.PathB)).ToList();
        var pairs = protocolPairs.Select(p =>
            new ScoredPair(p.Fold, p.Same, byPath[p.PathA] is { } a && byPath[p.PathB] is { } b ? EmbeddingMath.SquaredDistance(a, b) : null)).ToList();
        var all = PairProtocol.Evaluate(pairs);
        var answered = PairProtocol.Evaluate(pairs, answeredOnly: true);
        var balanced = PairProtocol.Evaluate(pairs, answeredOnly: true, balanced: true);
        Console.WriteLine($"lfw-dev pairs, primary face: {pairs.Count} pairs, {pairs.Count(p => p.Distance is null)} unanswered; LFW protocol {all.Accuracy:P2} ± {all.StandardError:P2} " +
                          $"(answered only {answered.Accuracy:P2} ± {answered.StandardError:P2}, {answered.Errors} errors; balanced {balanced.Accuracy:P2} ± {balanced.StandardError:P2}), " +
                          $"mean threshold {answered.MeanThreshold:F3}; at {VerificationDefaults.Threshold}: {PairProtocol.AccuracyAt(pairs, VerificationDefaults.Threshold):P2}");
        foreach (var i in answered.Wrong)
            Console.WriteLine($"  wrong: {(pairs[i].Same ? "same" : "different")} {Path.GetFileNameWithoutExtension(protocolPairs[i].PathA)} / " +
                              $"{Path.GetFileNameWithoutExtension(protocolPairs[i].PathB)} at {pairs[i].Distance:F4} (fold {pairs[i].Fold})");

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
