using FaceService.CommandLine;
using System.Diagnostics;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `cluster`: times <see cref="AgglomerativeFaceClusterer"/> on synthetic face codes: people as random directions on the
/// unit sphere, each seen several times with Gaussian noise, quantized like stored faces, in shuffled order.
/// Options: --n 10000, --per-person 10, --noise 0.017 (per component), --threshold (verify default), --linkage all,
/// --seed 1, --threads (default: all cores).
/// </summary>
public static class ClusterBenchmark
{
    public static int Run(ToolArguments args)
    {
        var n = args.Get("n", 10_000);
        var perPerson = args.Get("per-person", 10);
        // 0.017 per component puts two photos of a person about 2·128·0.017² ≈ 0.07 apart: half the verify threshold.
        var noise = args.Get("noise", 0.017f);
        var threshold = args.Get("threshold", VerificationDefaults.Threshold);
        var seed = args.Get("seed", 1);
        var threads = args.Get("threads", 0);
        var linkageName = args.Get("linkage", "all");
        var linkages = linkageName == "all" ? Enum.GetValues<Linkage>() : [Enum.Parse<Linkage>(linkageName, ignoreCase: true)];
        if (n < 2 || perPerson < 1) throw new ArgumentException("--n must be 2 or more and --per-person 1 or more.");

        var quantizer = new EmbeddingQuantizer();
        var (codes, labels) = SyntheticFaces(quantizer, n, perPerson, noise, seed);
        var options = new ClusteringOptions { MaxAgglomerativeFaces = Math.Max(n, 2), MaxDegreeOfParallelism = threads > 0 ? threads : null };
        var clusterer = new AgglomerativeFaceClusterer(Options.Create(options));

        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        Console.WriteLine($"data: {n} codes = {labels.Max() + 1} people x up to {perPerson} samples, noise {noise} per component, seed {seed}; " +
                          $"mean squared L2 within a person {MeanDistance(quantizer, codes, labels, samePerson: true):F3}, " +
                          $"between people {MeanDistance(quantizer, codes, labels, samePerson: false):F3}");
        Console.WriteLine($"threshold {threshold}, threads {(threads > 0 ? threads : Environment.ProcessorCount)}, " +
                          $"distance matrix {n * (n - 1L) / 2 * sizeof(float) / 1e6:F0} MB");

        // JIT and thread-pool warm-up on a slice, so the timed runs measure the algorithm.
        foreach (var linkage in linkages) clusterer.Cluster(codes[..Math.Min(n, 500)], threshold, linkage);

        // The phases apart, once: the matrix is the same for every linkage.
        var vectors = codes.Select(c => quantizer.Dequantize(c)).ToArray();
        var (fillTime, fillCpu) = Measure(out var matrix, () => CondensedDistanceMatrix.Compute(vectors, options.MaxDegreeOfParallelism, CancellationToken.None));
        using (matrix)
        {
            var (chainTime, chainCpu) = Measure(out _, () => NearestNeighborChain.Run(matrix, Linkage.Average, threshold, CancellationToken.None));
            Console.WriteLine($"phases: distance matrix {fillTime.TotalSeconds:F2}s (cpu {fillCpu.TotalSeconds:F2}s), " +
                              $"nearest-neighbour chain, average {chainTime.TotalSeconds:F2}s (cpu {chainCpu.TotalSeconds:F2}s)");
        }

        Console.WriteLine($"{"linkage",-9} {"time",8} {"cpu",8} {"clusters",9} {"singletons",11} {"purity",7} {"people exact",13}");
        foreach (var linkage in linkages)
        {
            GC.Collect();
            var (time, cpu) = Measure(out var result, () => clusterer.Cluster(codes, threshold, linkage));
            var (purity, exact) = Score(result, labels);
            Console.WriteLine($"{linkage.ToString().ToLowerInvariant(),-9} {time.TotalSeconds,7:F2}s {cpu.TotalSeconds,7:F2}s {result.Clusters.Count,9} " +
                              $"{result.Singletons.Count,11} {purity,7:P1} {exact,13}");
        }
        Console.WriteLine($"peak resident memory {BenchMachine.PeakWorkingSetBytes() / 1e6:F0} MB");
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

    private static (sbyte[][] Codes, int[] Labels) SyntheticFaces(IEmbeddingQuantizer quantizer, int n, int perPerson, float noise, int seed)
    {
        var random = new Random(seed);
        var codes = new sbyte[n][];
        var labels = new int[n];
        var center = new float[EmbeddingQuantizer.Dimensions];
        var sample = new float[EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < n; i++)
        {
            if (i % perPerson == 0)
            {
                for (var d = 0; d < center.Length; d++) center[d] = Gaussian(random);
                EmbeddingMath.NormalizeInPlace(center);
            }
            for (var d = 0; d < sample.Length; d++) sample[d] = center[d] + noise * Gaussian(random);
            EmbeddingMath.NormalizeInPlace(sample);
            codes[i] = quantizer.Quantize(sample);
            labels[i] = i / perPerson;
        }
        // Faces arrive in no particular order (people interleaved): the harder case for the chain, whose column walks
        // shrink as neighbouring slots merge away.
        var order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        return (order.Select(i => codes[i]).ToArray(), order.Select(i => labels[i]).ToArray());
    }

    /// <summary>Mean over every pair of photos of one person, or over neighbours in the input of different people.</summary>
    private static double MeanDistance(IEmbeddingQuantizer quantizer, sbyte[][] codes, int[] labels, bool samePerson)
    {
        var pairs = samePerson
            ? Enumerable.Range(0, codes.Length).GroupBy(i => labels[i])
                .SelectMany(g => g.SelectMany(i => g.Where(j => j > i).Select(j => (i, j))))
            : Enumerable.Range(0, codes.Length - 1).Where(i => labels[i] != labels[i + 1]).Select(i => (i, j: i + 1));
        return pairs.Select(p => (double)quantizer.SquaredDistance(codes[p.i], codes[p.j])).DefaultIfEmpty(double.NaN).Average();
    }

    /// <summary>Purity: share of faces in the majority person of their group; exact: people whose faces form exactly one group.</summary>
    private static (double Purity, int ExactPeople) Score(ClusteringResult result, int[] labels)
    {
        var groups = result.Clusters.Concat(result.Singletons.Select(s => new[] { s })).ToArray();
        var majority = groups.Sum(g => g.GroupBy(i => labels[i]).Max(l => l.Count()));
        var personSizes = labels.GroupBy(l => l).ToDictionary(l => l.Key, l => l.Count());
        var exact = groups.Count(g => g.All(i => labels[i] == labels[g[0]]) && g.Length == personSizes[labels[g[0]]]);
        return ((double)majority / labels.Length, exact);
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
