using System.Diagnostics;
using FaceService.CommandLine;
using FaceService.Core.Embeddings;
using FaceService.Core.Search;
using FaceService.Core.Storage;
using static FaceService.Bench.SearchBenchmark;

namespace FaceService.Bench;

/// <summary>
/// `graph`: the in-process search graph alone (<see cref="SubjectGraph"/>, what the service keeps for galleries of
/// Storage:InProcessSearchMinSubjects and more), without the database: build time and memory for N face-like subjects
/// (one face each, as `search` makes them), then recall against the exact scan and the walk's latency over an
/// ef sweep, k = 10 and the service's candidate count (k + min(k, 16)).
/// Options: --n 200000 --queries 200 (per kind) --ef-search 100,300,500,800 --m 16 --ef-construction 100 --seed 1
/// </summary>
public static class GraphBenchmark
{
    public static int Run(ToolArguments args)
    {
        int n = args.Get("n", 200_000), queries = args.Get("queries", 200), seed = args.Get("seed", 1);
        int m = args.Get("m", Storage.SubjectGraphSync.GraphM), efConstruction = args.Get("ef-construction", Storage.SubjectGraphSync.GraphEfConstruction);
        var sweep = args.Get("ef-search", "100,300,500,800").Split(',').Select(int.Parse).ToArray();
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average {LoadAverage()}");
        Console.WriteLine($"date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {n:N0} face-like subjects, m {m}, ef_construction {efConstruction}");
        var data = Generate("face", n, queries, seed);
        var quantizer = new EmbeddingQuantizer();
        var codes = data.Faces.Select(f => f.Code).ToArray();
        // Names as a gallery's would be: made while building, held only by the graph.
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var graph = new SubjectGraph(m, efConstruction);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < codes.Length; i++) graph.Upsert($"s{i:D7}", codes[i]);
        var built = clock.Elapsed;
        var heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        Console.WriteLine($"built in {built.TotalSeconds:F1} s ({built.TotalMicroseconds / n:F0} µs a subject), codes and links {graph.MemoryBytes / 1e6:F0} MB, " +
                          $"the whole graph with the subjects' names {heap / 1e6:F0} MB of heap; load average {LoadAverage()}");
        const int k = 10;
        var candidates = k + Math.Min(k, 16);
        var main = data.Queries.Where(q => q.Kind != "uniform").ToList();
        foreach (var query in main.Take(50)) graph.Nearest(query.Code, candidates, sweep[0]);
        Console.WriteLine("| ef_search | recall@1 | recall@10 | p50 ms | p95 ms | p99 ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var ef in sweep)
        {
            var results = new IReadOnlyList<SubjectMatch>[main.Count];
            var latencies = new double[main.Count];
            for (var q = 0; q < main.Count; q++)
            {
                var start = Stopwatch.GetTimestamp();
                var found = graph.Nearest(main[q].Code, candidates, ef);
                latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                // The service re-ranks the candidates exactly; so does this.
                results[q] = found.Select(s => new SubjectMatch(s, 1, quantizer.SquaredDistance(main[q].Code, codes[int.Parse(s.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)])))
                    .OrderBy(r => r.Distance).Take(k).ToList();
            }
            var all = Enumerable.Range(0, main.Count).ToArray();
            Console.WriteLine($"| {ef} | {Recall(main, results, 1, all)} | {Recall(main, results, k, all)} | {Percentile(latencies, 50):F2} | {Percentile(latencies, 95):F2} | {Percentile(latencies, 99):F2} |");
        }
        Console.WriteLine($"peak resident memory {BenchMachine.PeakWorkingSetBytes() / 1e6:F0} MB; load average {LoadAverage()}");
        return 0;
    }
}
