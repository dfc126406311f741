using System.Diagnostics;
using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// `quality`: face quality scores (<see cref="FaceQuality"/>) at the default <see cref="QualityOptions"/>. (1) Over every
/// photo of lfw-dev, lfw-people and faces, per set: the distribution of each part and of the score over the set's faces
/// (the primary face of each person photo, every face of the group photos), and how many the default refuses, by
/// reason (the defaults are chosen so that none is); the other faces of person photos (bystanders) apart. (2) Degraded
/// copies of a sample of the lfw photos (Gaussian blur, downscaling): the share refused by reason, and how far the
/// embedding moved from the clean photo's (squared L2) for kept and refused faces. (3) People clustering of lfw-people +
/// lfw-dev with the degraded copies mixed in, with and without the faces below the default left out. (4) What cutting
/// the chip and measuring its sharpness adds to detect.
/// Options: --sample 300 (photos degraded), --timing-photos 200 (lfw-dev photos detect is timed on), --seed 1, and the
/// inference settings (--device, …).
/// </summary>
public static class QualityBenchmark
{
    private static readonly string[] SetNames = ["lfw-dev", "lfw-people", "faces"];

    private static readonly (string Name, Func<byte[], byte[]> Degrade)[] Degradations =
    [
        ("blur σ1.5", b => DegradedPhoto.Blurred(b, 1.5f)),
        ("blur σ3", b => DegradedPhoto.Blurred(b, 3f)),
        ("blur σ5", b => DegradedPhoto.Blurred(b, 5f)),
        ("downscale 50 %", b => DegradedPhoto.Downscaled(b, 0.5f)),
        ("downscale 25 %", b => DegradedPhoto.Downscaled(b, 0.25f)),
        ("downscale 12.5 %", b => DegradedPhoto.Downscaled(b, 0.125f)),
    ];

    /// <summary>One face of a photo of a set; <paramref name="Person"/> is null where the set does not say who it is.</summary>
    private sealed record Face(string Set, string Photo, string? Person, EmbeddedFace Found);

    public static int Run(ToolArguments args)
    {
        BenchMachine.PrintHeader();
        using var services = InferenceHost.Build(args);
        var pipeline = services.GetRequiredService<IFacePipeline>();
        var options = services.GetRequiredService<FaceQualityScorer>().Options;
        Console.WriteLine($"model {pipeline.ModelId}; {InferenceHost.DescribeSettings(services)}");
        Console.WriteLine($"quality: MinQuality {options.MinQuality}; face size {options.FaceSizeUnusable}..{options.FaceSizeGood} px; " +
                          $"sharpness {options.SharpnessUnusable}..{options.SharpnessGood}; pose {options.PoseUnusableDegrees}..{options.PoseGoodDegrees}°; " +
                          $"detector score {options.DetectorScoreUnusable}..{options.DetectorScoreGood}");

        var sets = SetNames.ToDictionary(name => name, name => LabelledPhotoSet.LoadShared(name));
        var (labelled, bystanders) = AnalyzeSets(pipeline, sets);
        Distributions(labelled, bystanders, options.MinQuality);

        var random = new Random(args.Get("seed", 1));
        var sample = labelled.Where(f => f.Set != "faces" && f.Person is not null).OrderBy(_ => random.Next()).Take(args.Get("sample", 300)).ToList();
        var degraded = Degraded(pipeline, sets, sample, options.MinQuality);
        Clustering(services, pipeline.ModelId, labelled.Where(f => f.Set != "faces").ToList(), degraded, options.MinQuality);
        DetectCost(services, sets["lfw-dev"], args.Get("timing-photos", 200));
        return 0;
    }

    /// <summary>Every face of every photo of the sets, split into the labelled ones and the bystanders of person photos.</summary>
    private static (List<Face> Labelled, List<Face> Bystanders) AnalyzeSets(IFacePipeline pipeline, IReadOnlyDictionary<string, LabelledPhotoSet> sets)
    {
        var photos = sets.SelectMany(s => s.Value.Photos.Where(p => p.Person != "_noface").Select(p => (Set: s.Key, Photo: p))).ToList();
        var watch = Stopwatch.StartNew();
        var analyses = new ImageAnalysis<EmbeddedFace>[photos.Count];
        Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            analyses[i] = pipeline.AnalyzeAsync(sets[photos[i].Set].Read(photos[i].Photo), FaceSelection.All).GetAwaiter().GetResult());
        Console.WriteLine($"analyzed {photos.Count} photos in {watch.Elapsed.TotalSeconds:F0} s");

        var (labelled, bystanders) = (new List<Face>(), new List<Face>());
        for (var i = 0; i < photos.Count; i++)
        {
            var (set, photo) = photos[i];
            var faces = analyses[i].Faces;
            if (faces.Count == 0) continue;
            if (photo.Person == "_group")
            {
                labelled.AddRange(faces.Select(f => new Face(set, photo.Path, null, f)));
                continue;
            }
            // The face a 1:1 request takes is the person; the pipeline's own choice of it.
            var primary = PrimaryFace.Select([.. faces.Select(f => (f.Box, f.Score))], analyses[i].ImageWidth, analyses[i].ImageHeight);
            for (var f = 0; f < faces.Count; f++)
                (f == primary ? labelled : bystanders).Add(new Face(set, photo.Path, f == primary ? photo.Person : null, faces[f]));
        }
        return (labelled, bystanders);
    }

    private static readonly (string Name, bool HigherIsBetter, Func<FaceQuality, float> Value)[] Parts =
    [
        ("score", true, q => q.Score),
        ("face size (px)", true, q => q.FaceSize),
        ("sharpness", true, q => q.Sharpness),
        ("detector score", true, q => q.DetectorScore),
        ("yaw, abs (°)", false, q => MathF.Abs(q.Yaw)),
        ("pitch, abs (°)", false, q => MathF.Abs(q.Pitch)),
        ("roll, abs (°)", false, q => MathF.Abs(q.Roll)),
    ];

    private static void Distributions(List<Face> labelled, List<Face> bystanders, float minQuality)
    {
        Console.WriteLine();
        Console.WriteLine("(1) the sets' faces (primary face of each person photo, every face of group photos); worst = min, or max for angles");
        Console.WriteLine("| set | faces | part | worst | 1 % | 5 % | median |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|");
        foreach (var set in labelled.GroupBy(f => f.Set))
        foreach (var (name, higherIsBetter, value) in Parts)
        {
            // Sorted worst first, so that the same ranks give the low tail of a size and the high tail of an angle.
            var values = set.Select(f => value(f.Found.Quality)).Order().ToArray();
            if (!higherIsBetter) Array.Reverse(values);
            Console.WriteLine($"| {set.Key} | {values.Length} | {name} | {values[0]:0.###} | {Rank(values, 0.01):0.###} | {Rank(values, 0.05):0.###} | {Rank(values, 0.5):0.###} |");
        }
        Console.WriteLine();
        Console.WriteLine($"refused at MinQuality {minQuality}:");
        foreach (var set in labelled.GroupBy(f => f.Set))
            Console.WriteLine($"  {set.Key}: {Refusals(set.ToList(), minQuality)}");
        Console.WriteLine($"  bystanders (other faces of person photos, not the sets' subjects): {Refusals(bystanders, minQuality)}");
    }

    /// <summary>"n of m refused (small_face k, …)".</summary>
    private static string Refusals(IReadOnlyCollection<Face> faces, float minQuality)
    {
        var issues = faces.SelectMany(f => f.Found.Quality.IssuesBelow(minQuality)).CountBy(i => i).OrderBy(c => c.Key);
        var refused = faces.Count(f => f.Found.Quality.Score < minQuality);
        return $"{refused} of {faces.Count} refused" + (refused == 0 ? "" : $" ({string.Join(", ", issues.Select(c => $"{c.Key.Code()} {c.Value}"))})");
    }

    private static float Rank(float[] sorted, double share) => sorted[(int)Math.Floor(share * (sorted.Length - 1))];

    /// <summary>The primary face of each degraded copy, labelled with the clean photo's person.</summary>
    private static List<(string Degradation, Face Face)> Degraded(IFacePipeline pipeline, IReadOnlyDictionary<string, LabelledPhotoSet> sets, List<Face> sample, float minQuality)
    {
        Console.WriteLine();
        Console.WriteLine($"(2) degraded copies of {sample.Count} random lfw-dev and lfw-people photos (primary face); displacement: squared L2 from the clean photo's embedding");
        Console.WriteLine("| copy | no face | faces | refused | small_face | blurred | extreme_pose | low_confidence | median face size | median sharpness | median displacement, kept | refused |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var result = new List<(string, Face)>();
        foreach (var (name, degrade) in Degradations)
        {
            var faces = new (Face Clean, EmbeddedFace? Copy)[sample.Count];
            Parallel.For(0, sample.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                var bytes = degrade(File.ReadAllBytes(sets[sample[i].Set].FullPath(sample[i].Photo)));
                faces[i] = (sample[i], pipeline.AnalyzeAsync(bytes, FaceSelection.Primary).GetAwaiter().GetResult().Faces.FirstOrDefault());
            });
            var found = faces.Where(f => f.Copy is not null).Select(f => (f.Clean, Copy: f.Copy!)).ToList();
            result.AddRange(found.Select(f => (name, new Face(f.Clean.Set, f.Clean.Photo, f.Clean.Person, f.Copy))));
            var refused = found.Where(f => f.Copy.Quality.Score < minQuality).ToList();
            string Share(int n) => found.Count == 0 ? "-" : $"{(double)n / found.Count:P0}";
            string Issue(QualityIssue issue) => Share(found.Count(f => f.Copy.Quality.IssuesBelow(minQuality).Contains(issue)));
            string MedianDisplacement(IEnumerable<(Face Clean, EmbeddedFace Copy)> of) =>
                of.Select(f => EmbeddingMath.SquaredDistance(f.Clean.Found.Embedding, f.Copy.Embedding)).Order().ToArray() is { Length: > 0 } d
                    ? $"{Rank(d, 0.5):F3}" : "-";
            string Median(Func<FaceQuality, float> value) =>
                found.Count == 0 ? "-" : $"{Rank([.. found.Select(f => value(f.Copy.Quality)).Order()], 0.5):0.###}";
            Console.WriteLine($"| {name} | {sample.Count - found.Count} | {found.Count} | {Share(refused.Count)} | {Issue(QualityIssue.SmallFace)} | {Issue(QualityIssue.Blurred)} | " +
                              $"{Issue(QualityIssue.ExtremePose)} | {Issue(QualityIssue.LowConfidence)} | {Median(q => q.FaceSize)} | {Median(q => q.Sharpness)} | " +
                              $"{MedianDisplacement(found.Except(refused))} | {MedianDisplacement(refused)} |");
        }
        return result;
    }

    /// <summary>People clustering of the lfw faces, clean alone, then with the degraded copies, then with those below the threshold left out.</summary>
    private static void Clustering(IServiceProvider services, string modelId, List<Face> clean, List<(string Degradation, Face Face)> degraded, float minQuality)
    {
        var models = services.GetRequiredService<OnnxSessionFactory>().ModelsDirectory;
        var people = new PeopleClusterer(DistanceCalibration.Load(models, modelId),
            Options.Create(new ClusteringOptions { MaxFaces = int.MaxValue }));
        var mixed = clean.Concat(degraded.Select(d => d.Face)).ToList();
        var runs = new (string Name, List<Face> Faces)[]
        {
            ("clean photos", clean),
            ($"clean + {degraded.Count} degraded copies", mixed),
            ($"same, faces below {minQuality} left out", mixed.Where(f => f.Found.Quality.Score >= minQuality).ToList()),
        };
        Console.WriteLine();
        Console.WriteLine("(3) people clustering (graph) of lfw-people + lfw-dev with the degraded copies mixed in");
        Console.WriteLine("| faces clustered | method | faces | clusters | pairwise P | pairwise R | F1 | BCubed P | BCubed R | mixed | people split | seen once left alone | s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, faces) in runs)
        {
            var codes = faces.Select(f => f.Found.Code).ToList();
            ClusteringQualityBenchmark.Row(name, "people (graph)",
                ClusteringQualityBenchmark.Timed(() => people.Cluster(codes, null, CancellationToken.None)), [.. faces.Select(f => f.Person)]);
        }
    }

    /// <summary>Detect's time per photo, and the part of it that cutting each face's chip and measuring its sharpness takes.</summary>
    private static void DetectCost(IServiceProvider services, LabelledPhotoSet set, int count)
    {
        var pipeline = services.GetRequiredService<IFacePipeline>();
        var decoder = services.GetRequiredService<SkiaImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        var landmarker = services.GetRequiredService<IFaceLandmarker>();
        var aligner = services.GetRequiredService<FaceChipAligner>();
        var photos = set.PersonPhotos.Take(count).Select(set.Read).ToList();
        var (detectMs, chipMs, faces) = (0.0, 0.0, 0);
        foreach (var bytes in photos)
        {
            var start = Stopwatch.GetTimestamp();
            pipeline.DetectAsync(bytes).GetAwaiter().GetResult();
            detectMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            var image = decoder.Decode(bytes);
            var boxes = detector.Detect(image).Select(f => f.Box).ToArray();
            var landmarks = boxes.Length == 0 ? [] : landmarker.Detect(image, boxes);
            start = Stopwatch.GetTimestamp();
            for (var i = 0; i < boxes.Length; i++) ChipSharpness.Measure(aligner.Cut(image, boxes[i], landmarks[i]));
            chipMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            faces += boxes.Length;
        }
        Console.WriteLine();
        Console.WriteLine($"(4) detect on {photos.Count} lfw-dev photos ({faces} faces), one at a time: {detectMs / photos.Count:F1} ms a photo, " +
                          $"of which cutting the chips and measuring their sharpness {chipMs / photos.Count:F2} ms ({chipMs / detectMs:P1}; {chipMs / Math.Max(1, faces):F2} ms a face)");
    }
}
