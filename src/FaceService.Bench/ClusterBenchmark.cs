using FaceService.CommandLine;
using System.Diagnostics;
using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using FaceService.Evaluation;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `cluster`: the clusterers' time and memory on synthetic faces at sizes real ones cannot reach (their quality comes
/// from real faces: `clustering`). Synthetic faces are quantized like stored ones and spread like the model's: subjects
/// around a common direction about 0.32 apart, photos of one subject about 0.085 apart (the means on lfw-dev); as in a
/// photo library, half the people are seen once and the rest 2 to 20 times, in shuffled order. People clustering is
/// timed by phase (the neighbour graph, the two stages); agglomerative clustering (its distance matrix is 2·n² bytes) only
/// up to --agglomerative-max-n.
/// Options: --n 10000,100000, --agglomerative-max-n 20000, --seed 1, --threads (default: all cores), --models (for the
/// calibration's distance table; default the repository's models/).
/// </summary>
public static class ClusterBenchmark
{
    private const string ModelId = "dlib-resnet-v1+facechip150-dlibsp+mirror@2b53a2390fdb";

    public static int Run(ToolArguments args)
    {
        var sizes = args.Get("n", "10000,100000").Split(',').Select(int.Parse).ToArray();
        var agglomerativeMax = args.Get("agglomerative-max-n", 20_000);
        var seed = args.Get("seed", 1);
        var threads = args.Get("threads", 0);
        var models = args.Get("models", Path.Combine(LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory), "models"));
        var calibration = DistanceCalibration.Load(models, ModelId);
        var options = Options.Create(new ClusteringOptions { MaxFaces = int.MaxValue, MaxAgglomerativeFaces = 40_000, MaxDegreeOfParallelism = threads > 0 ? threads : null });
        var people = new PeopleClusterer(calibration, options);

        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average {LoadAverage()}");
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; threads {(threads > 0 ? threads : Environment.ProcessorCount)}; " +
                          $"neighbours {options.Value.Neighbours}; distance table of {ModelId}");
        Console.WriteLine("| faces | people | same person | different people | neighbour graph s (cpu s) | two stages s (cpu s) | total s | clusters | pairwise P | pairwise R | memory MB (estimate) | agglomerative s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var n in sizes)
        {
            var (codes, labels) = Faces(n, seed);
            var quantizer = new EmbeddingQuantizer();
            var same = Mean(codes, labels, quantizer, samePerson: true);
            var different = Mean(codes, labels, quantizer, samePerson: false);
            if (n == sizes[0]) people.Cluster(codes[..Math.Min(n, 2000)], null, CancellationToken.None);
            GC.Collect();

            var vectors = new float[n * EmbeddingQuantizer.Dimensions];
            for (var i = 0; i < n; i++) quantizer.Dequantize(codes[i]).CopyTo(vectors, i * EmbeddingQuantizer.Dimensions);
            var (graphTime, graphCpu) = Measure(out var graph,
                () => NeighbourGraph.Build(vectors, EmbeddingQuantizer.Dimensions, options.Value.Neighbours, options.Value.MaxDegreeOfParallelism, CancellationToken.None));
            var (stageTime, stageCpu) = Measure(out var result, () => people.Cluster(vectors, graph, null, CancellationToken.None));
            var score = ClusteringScore.Of(result, labels.Select(l => (string?)l.ToString()).ToList());
            // Vectors twice (as given and regrouped for the kernel), the graph's neighbours and distances, the undirected adjacency.
            var estimate = n * (2.0 * EmbeddingQuantizer.Dimensions * sizeof(float) + options.Value.Neighbours * (4 + 4 + 2 * 4)) / 1e6;
            var agglomerative = "–";
            if (n <= agglomerativeMax)
            {
                var clusterer = new AgglomerativeFaceClusterer(options);
                var (time, _) = Measure(out _, () => clusterer.Cluster(codes, 0.158f, Linkage.Average));
                agglomerative = $"{time.TotalSeconds:F1}";
            }
            Console.WriteLine($"| {n:N0} | {labels.Distinct().Count():N0} | {same:F3} | {different:F3} | {graphTime.TotalSeconds:F1} ({graphCpu.TotalSeconds:F1}) | " +
                              $"{stageTime.TotalSeconds:F1} ({stageCpu.TotalSeconds:F1}) | {(graphTime + stageTime).TotalSeconds:F1} | {result.Clusters.Count:N0} | " +
                              $"{score.PairwisePrecision:F4} | {score.PairwiseRecall:F4} | {estimate:F0} | {agglomerative} |");
        }
        Console.WriteLine($"peak resident memory of the bench process {BenchMachine.PeakWorkingSetBytes() / 1e6:F0} MB; load average {LoadAverage()}");
        return 0;
    }

    /// <summary>Wall-clock and process CPU time of one call.</summary>
    private static (TimeSpan Wall, TimeSpan Cpu) Measure<T>(out T result, Func<T> action)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        result = action();
        return (stopwatch.Elapsed, Environment.CpuUsage.TotalTime - cpu);
    }

    /// <summary>n faces: half the people seen once, the others 2 to 20 times; shuffled.</summary>
    private static (sbyte[][] Codes, int[] Labels) Faces(int n, int seed)
    {
        var synthetic = new SyntheticFaces(seed, noise: 0.018f, spread: 0.44f);
        var random = new Random(seed);
        var faces = new List<(sbyte[] Code, int Person)>(n);
        for (var person = 0; faces.Count < n; person++)
        {
            var centre = synthetic.NewSubject();
            var photos = random.Next(2) == 0 ? 1 : random.Next(2, 21);
            for (var p = 0; p < photos && faces.Count < n; p++) faces.Add((synthetic.CodeNear(centre), person));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(faces));
        return ([.. faces.Select(f => f.Code)], [.. faces.Select(f => f.Person)]);
    }

    /// <summary>Mean squared distance over up to 20,000 pairs of one person, or of different people.</summary>
    private static double Mean(sbyte[][] codes, int[] labels, EmbeddingQuantizer quantizer, bool samePerson)
    {
        var random = new Random(7);
        var sum = 0.0;
        var count = 0;
        var byPerson = Enumerable.Range(0, codes.Length).GroupBy(i => labels[i]).Where(g => !samePerson || g.Count() > 1).Select(g => g.ToArray()).ToArray();
        for (var t = 0; t < 200_000 && count < 20_000; t++)
        {
            var a = byPerson[random.Next(byPerson.Length)];
            var (i, j) = samePerson ? (a[random.Next(a.Length)], a[random.Next(a.Length)]) : (a[0], random.Next(codes.Length));
            if (i == j || (labels[i] == labels[j]) != samePerson) continue;
            sum += quantizer.SquaredDistance(codes[i], codes[j]);
            count++;
        }
        return sum / count;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
