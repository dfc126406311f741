using System.Diagnostics;
using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `clustering`: how well the clusterers group real faces into people. Sets: every photo of lfw-people and lfw-dev
/// (231 people with 3-25 photos among 1,468 mostly seen once); draws of all lfw-people's people with --min-photos or
/// more photos mixed with --strangers people seen once; random subsets of photos; and the dev set (../shared/data/faces):
/// every face of every photo, group photos included, faces of one photo kept apart. For each: pairwise and BCubed
/// precision and recall, clusters mixing people, people split, people seen once left alone, time; for people clustering
/// on the neighbour graph, on every pair (exact) and the agreement of the two; and agglomerative clustering at the
/// previous default (average linkage, 0.158) for comparison. On the first set, also each lever of people clustering
/// taken away alone, and agglomerative clustering at tighter cuts; and the two halves of the people (by a hash of the
/// name) apart.
/// Options: those of <see cref="LabelledCodes"/> (sets default lfw-dev,faces,lfw-people), --draws 3, --strangers 700,
/// --min-photos 3, --seed 1, --models.
/// </summary>
public static class ClusteringQualityBenchmark
{
    public static int Run(ToolArguments args)
    {
        var (set, models) = LabelledCodes.LoadForMode(args, defaultSets: "lfw-dev,faces,lfw-people");
        var calibration = DistanceCalibration.Load(models, set.ModelId);
        var options = Options.Create(new ClusteringOptions { MaxFaces = int.MaxValue, MaxAgglomerativeFaces = 40_000 });
        var people = new PeopleClusterer(calibration, options);
        var agglomerative = new AgglomerativeFaceClusterer(options);
        Console.WriteLine($"model {set.ModelId}; {set.Settings}; neighbours {options.Value.Neighbours}");

        var lfw = set.Photos.Where(p => p.Code is not null && !p.Path.StartsWith("faces/", StringComparison.Ordinal)).ToList();
        var random = new Random(args.Get("seed", 1));
        var draws = args.Get("draws", 3);
        var sets = new List<(string Name, List<LabelledCode> Faces)> { ("lfw-people + lfw-dev, every photo", lfw) };
        for (var half = 0; half < 2; half++)
            sets.Add(($"same, half {(half == 0 ? "A" : "B")} of the people", lfw.Where(p => (StableHash(p.Person) & 1) == half).ToList()));
        var byPerson = lfw.GroupBy(p => p.Person).ToList();
        var minPhotos = args.Get("min-photos", 3);
        var strangers = args.Get("strangers", 700);
        var many = byPerson.Where(g => g.Count() >= minPhotos).ToList();
        var once = byPerson.Where(g => g.Count() == 1).ToList();
        for (var d = 0; d < draws; d++)
            sets.Add(($"{many.Count} people with {minPhotos}+ photos + {strangers} seen once, draw {d + 1}",
                many.SelectMany(g => g).Concat(once.OrderBy(_ => random.Next()).Take(strangers).SelectMany(g => g)).ToList()));
        foreach (var size in new[] { 1000, 2000 })
            sets.Add(($"{size} random photos", lfw.OrderBy(_ => random.Next()).Take(size).ToList()));

        Console.WriteLine();
        Console.WriteLine($"| set | method | faces | clusters | pairwise P | pairwise R | F1 | BCubed P | BCubed R | mixed | people split | seen once left alone | s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, faces) in sets)
        {
            var codes = faces.Select(f => f.Code!).ToList();
            var labels = faces.Select(f => (string?)f.Person).ToList();
            var graph = Timed(() => people.Cluster(codes, null, CancellationToken.None));
            Row(name, "people (graph)", graph, labels);
            if (codes.Count <= 4000)
            {
                var exact = Timed(() => people.Cluster(codes, null, CancellationToken.None, exact: true));
                Row(name, "people (every pair)", exact, labels);
                var agreement = ClusteringScore.Of(graph.Result, GroupLabels(exact.Result, codes.Count));
                Console.WriteLine($"| | graph against every pair | | | {agreement.PairwisePrecision:F4} | {agreement.PairwiseRecall:F4} | | {agreement.BCubedPrecision:F4} | {agreement.BCubedRecall:F4} | | | | |");
            }
            if (codes.Count <= options.Value.MaxAgglomerativeFaces)
                Row(name, "average linkage 0.158", Timed(() => agglomerative.Cluster(codes, 0.158f, Linkage.Average)), labels);
        }

        Levers(lfw, calibration, options, agglomerative);
        DevSet(args, people, agglomerative);
        return 0;
    }

    /// <summary>People clustering with each lever taken away alone, and agglomerative clustering at tighter cuts.</summary>
    private static void Levers(List<LabelledCode> faces, DistanceCalibration calibration, IOptions<ClusteringOptions> options, AgglomerativeFaceClusterer agglomerative)
    {
        var codes = faces.Select(f => f.Code!).ToList();
        var labels = faces.Select(f => (string?)f.Person).ToList();
        var defaults = new PeopleClusteringSettings();
        var variants = new (string Name, PeopleClusteringSettings Settings)[]
        {
            ("people, defaults", defaults),
            ("first stage only (average linkage below 0.09)", defaults with { SecondStage = false }),
            ("one threshold, -3, for every kind of pair", defaults with { TwoFacesThreshold = -3, FaceAndGroupThreshold = -3, TwoGroupsThreshold = -3 }),
            ("two single faces joined in stage 2 below -4.5", defaults with { TwoFacesThreshold = -4.5 }),
            ("a face joins a group below -2.75", defaults with { FaceAndGroupThreshold = -2.75 }),
            ("no spread guard", defaults with { MaxGap = float.MaxValue }),
            ("no distance cap", defaults with { MaxDistance = 4 }),
            ("cohort of 4", defaults with { Cohort = 4 }),
            ("cohort of 19", defaults with { Cohort = 19 }),
            ("first stage at 0.08", defaults with { TightDistance = 0.08f }),
            ("first stage at 0.10", defaults with { TightDistance = 0.10f }),
        };
        Console.WriteLine();
        Console.WriteLine("levers on lfw-people + lfw-dev, every photo, each taken away or moved alone:");
        Console.WriteLine($"| variant | faces | clusters | pairwise P | pairwise R | F1 | BCubed P | BCubed R | mixed | people split | seen once left alone | s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, settings) in variants)
            Row(null, name, Timed(() => new PeopleClusterer(calibration, options, settings).Cluster(codes, null, CancellationToken.None)), labels);
        foreach (var cut in new[] { 0.10f, 0.12f, 0.13f })
            Row(null, $"average linkage {cut}", Timed(() => agglomerative.Cluster(codes, cut, Linkage.Average)), labels);
    }

    private static int StableHash(string text) => text.Aggregate(17, (h, c) => unchecked(h * 31 + c)) & int.MaxValue;

    /// <summary>The dev set as a user's photo folder: every face of every photo, group photos included.</summary>
    private static void DevSet(ToolArguments args, PeopleClusterer people, AgglomerativeFaceClusterer agglomerative)
    {
        var dev = args.Get("faces", "") is { Length: > 0 } f ? LabelledPhotoSet.Load(f) : LabelledPhotoSet.LoadShared("faces");
        using var services = InferenceHost.Build(args);
        var pipeline = services.GetRequiredService<IFacePipeline>();
        var faces = new List<(string Photo, string? Person, sbyte[] Code)>();
        foreach (var photo in dev.Photos.Where(p => p.Person != "_noface"))
        {
            var analysis = pipeline.AnalyzeAsync(dev.Read(photo), FaceSelection.All).GetAwaiter().GetResult();
            // The primary face of a person's photo is that person; the other faces, and those of group photos, are unlabelled.
            faces.AddRange(analysis.Faces.Select((face, i) => (photo.Path, i == 0 && !photo.Person.StartsWith('_') ? photo.Person : null, face.Code)));
        }
        var codes = faces.Select(x => x.Code).ToList();
        var photos = faces.Select(x => (string?)x.Photo).ToList();
        var labels = faces.Select(x => x.Person).ToList();
        var name = $"dev set, every face ({labels.Count(l => l is null)} unlabelled)";
        var grouped = Timed(() => people.Cluster(codes, photos, CancellationToken.None));
        Row(name, "people (graph)", grouped, labels);
        Row(name, "average linkage 0.158", Timed(() => agglomerative.Cluster(codes, 0.158f, Linkage.Average, photos)), labels);
        var together = grouped.Result.Clusters.Count(c => c.Select(i => faces[i].Photo).Distinct().Count() < c.Length);
        Console.WriteLine($"clusters holding two faces of one photo: {together}");
        foreach (var cluster in grouped.Result.Clusters.Where(c => c.Any(i => faces[i].Person is null)))
            Console.WriteLine($"  unlabelled faces joined: {string.Join(", ", cluster.Select(i => faces[i].Person ?? faces[i].Photo))}");
    }

    internal static (ClusteringResult Result, double Seconds) Timed(Func<ClusteringResult> cluster)
    {
        var clock = Stopwatch.StartNew();
        var result = cluster();
        return (result, clock.Elapsed.TotalSeconds);
    }

    internal static void Row(string? set, string method, (ClusteringResult Result, double Seconds) run, IReadOnlyList<string?> labels)
    {
        var s = ClusteringScore.Of(run.Result, labels);
        Console.WriteLine($"{(set is null ? "" : $"| {set} ")}| {method} | {labels.Count} | {s.Clusters} | {s.PairwisePrecision:F4} | {s.PairwiseRecall:F4} | {s.PairwiseF1:F4} | " +
                          $"{s.BCubedPrecision:F4} | {s.BCubedRecall:F4} | {s.MixedClusters} | {s.SplitPeople} of {s.PeopleWithSeveralFaces} | " +
                          $"{s.LoneFacesLeftAlone} of {s.LoneFaces} | {run.Seconds:F1} |");
    }

    /// <summary>One clustering's groups as labels, to score another against it.</summary>
    private static List<string?> GroupLabels(ClusteringResult result, int count)
    {
        var labels = new string?[count];
        for (var c = 0; c < result.Clusters.Count; c++)
            foreach (var i in result.Clusters[c]) labels[i] = $"c{c}";
        foreach (var i in result.Singletons) labels[i] = $"s{i}";
        return [.. labels];
    }
}
