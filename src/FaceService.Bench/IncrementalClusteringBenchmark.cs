using System.Numerics.Tensors;
using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `incremental`: faces joining clusters one at a time as they are indexed (<see cref="ClusterJoining"/>, what the
/// store does), against people clustering of the same faces at once. lfw-people + lfw-dev fed in --orders random orders
/// (--seed); the nearby clusters of each face are found as the store finds them: the nearest by the direction of their
/// sum (cosine), <see cref="ClusterJoining.NearbyToFetch"/> of them. Options: those of <see cref="LabelledCodes"/>.
/// </summary>
public static class IncrementalClusteringBenchmark
{
    public static int Run(ToolArguments args)
    {
        var (set, models) = LabelledCodes.LoadForMode(args, defaultSets: "lfw-dev,faces,lfw-people");
        var calibration = DistanceCalibration.Load(models, set.ModelId);
        var options = Options.Create(new ClusteringOptions { MaxFaces = int.MaxValue });
        var faces = set.Photos.Where(p => p.Code is not null && !p.Path.StartsWith("faces/", StringComparison.Ordinal)).ToList();
        var joining = new ClusterJoining(calibration);
        var random = new Random(args.Get("seed", 1));
        var orders = args.Get("orders", 3);
        Console.WriteLine($"model {set.ModelId}; {set.Settings}; lfw-people + lfw-dev, {faces.Count} faces");
        Console.WriteLine();
        Console.WriteLine($"| method | faces | clusters | pairwise P | pairwise R | F1 | BCubed P | BCubed R | mixed | people split | seen once left alone | s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var labels = faces.Select(f => (string?)f.Person).ToList();
        var codes = faces.Select(f => f.Code!).ToList();
        ClusteringQualityBenchmark.Row(null, "people clustering, all at once",
            ClusteringQualityBenchmark.Timed(() => new PeopleClusterer(calibration, options).Cluster(codes, null, CancellationToken.None)), labels);
        for (var o = 0; o < orders; o++)
        {
            var order = Enumerable.Range(0, faces.Count).OrderBy(_ => random.Next()).ToArray();
            var run = ClusteringQualityBenchmark.Timed(() => Incremental(codes, order, joining));
            ClusteringQualityBenchmark.Row(null, $"one at a time, random order {o + 1}", run, labels);
        }
        return 0;
    }

    /// <summary>Each face in the given order joins the cluster <see cref="ClusterJoining"/> chooses, or starts one.</summary>
    private static ClusteringResult Incremental(IReadOnlyList<sbyte[]> codes, int[] order, ClusterJoining joining)
    {
        var quantizer = new EmbeddingQuantizer();
        var sums = new List<float[]>();
        var sizes = new List<int>();
        var root = new int[codes.Count];
        foreach (var i in order)
        {
            var unit = quantizer.Dequantize(codes[i]);
            var nearby = Enumerable.Range(0, sums.Count)
                .Select(c => (Cluster: c, Cosine: TensorPrimitives.CosineSimilarity<float>(unit, sums[c])))
                .OrderByDescending(c => c.Cosine).Take(ClusterJoining.NearbyToFetch)
                .Select(c => new NearbyCluster(c.Cluster, sums[c.Cluster], sizes[c.Cluster], HoldsPhoto: false)).ToList();
            var chosen = joining.ChooseForPhoto([unit], [nearby])[0];
            int cluster;
            if (chosen is { } id)
            {
                cluster = (int)id;
                TensorPrimitives.Add(sums[cluster], unit, sums[cluster]);
                sizes[cluster]++;
            }
            else
            {
                cluster = sums.Count;
                sums.Add(unit);
                sizes.Add(1);
            }
            root[i] = cluster;
        }
        // Roots are face indices in FromRoots: map each cluster to its first face.
        var first = new Dictionary<int, int>();
        for (var i = 0; i < root.Length; i++) first.TryAdd(root[i], i);
        return ClusteringResult.FromRoots([.. root.Select(c => first[c])]);
    }
}
