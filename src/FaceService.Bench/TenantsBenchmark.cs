using System.Diagnostics;
using FaceService.CommandLine;
using FaceService.Core.Embeddings;
using FaceService.Core.Naming;
using FaceService.Core.Storage;
using FaceService.Storage;
using Microsoft.Extensions.Options;
using static FaceService.Bench.SearchBenchmark;

namespace FaceService.Bench;

/// <summary>
/// `tenants`: identify's search when many collections share one table (issue 20): --small collections of --small-size
/// subjects, one of --mid subjects and one of --large subjects (face-like synthetic faces, one face per subject, as
/// `search` makes them), bulk-loaded into one schema with one HNSW graph over all their templates, as the service keeps
/// them today. Then the same queries (genuine + stranger, k = 10, the default ef_search) against the large collection,
/// the mid one and a sample of the small ones, searched two ways: through the shared graph for every gallery
/// (Storage:ExactSearchMaxSubjects = 0) and with galleries up to --exact-below subjects scanned exactly (the default);
/// then the large collection is given a partition and graph of its own (`faceservice partition`) and searched again,
/// and last through the in-process graph the service keeps for galleries of Storage:InProcessSearchMinSubjects (default) and more.
/// Recall is against the exact answer within each collection.
/// Options: --small 1000 --small-size 1000 --mid 5000 --large 1000000 --sampled 100 (small collections queried, 2 queries
/// each) --queries 100 (per kind, large and mid) --exact-below 1000 --hnsw 16:64 --build-memory-mb 4096 --seed 1
/// --connection --schema NAME (keep the loaded schema; a later run with the same name and sizes skips the load and the build).
/// </summary>
public static class TenantsBenchmark
{
    private const string Model = "bench-model";

    public static int Run(ToolArguments args) => RunAsync(args).GetAwaiter().GetResult();

    private sealed record Tenant(CollectionName Collection, Dataset Data);

    private static async Task<int> RunAsync(ToolArguments args)
    {
        int small = args.Get("small", 1000), smallSize = args.Get("small-size", 1000), mid = args.Get("mid", 5000), large = args.Get("large", 1_000_000);
        int sampled = args.Get("sampled", 100), queries = args.Get("queries", 100), exactBelow = args.Get("exact-below", 1000), seed = args.Get("seed", 1);
        var hnsw = args.Get("hnsw", "16:64").Split(':').Select(int.Parse).ToArray();
        var buildMemoryMb = args.Get("build-memory-mb", 4096);
        var connection = args.Get("connection", DefaultConnection);
        var kept = args.Get("schema", "") is { Length: > 0 } name ? name : null;

        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}; load average {LoadAverage()}");
        Console.WriteLine($"database: {await DescribeDatabaseAsync(connection)}");
        Console.WriteLine($"date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {small:N0} collections of {smallSize:N0} subjects, one of {mid:N0}, one of {large:N0}; " +
                          $"one face per subject; HNSW m {hnsw[0]}, ef_construction {hnsw[1]}");
        var clock = Stopwatch.StartNew();
        var largeTenant = new Tenant(CollectionName.Parse("large"), Generate("face", large, queries, seed));
        var midTenant = new Tenant(CollectionName.Parse("mid"), Generate("face", mid, queries, seed + 1));
        var smallTenants = Enumerable.Range(0, small)
            .Select(i => new Tenant(CollectionName.Parse($"small-{i:D4}"), Generate("face", smallSize, 1, seed + 2 + i))).ToList();
        Console.WriteLine($"generated in {clock.Elapsed.TotalSeconds:F0} s");

        await using var schema = await BenchSchema.CreateAsync(connection, kept, hnsw[0], hnsw[1], buildMemoryMb);
        var total = large + mid + (long)small * smallSize;
        if (schema.Reused && await schema.ScalarAsync<long>("SELECT count(*) FROM faces") == total)
        {
            Console.WriteLine($"reusing schema {schema.Name} ({total:N0} faces, loaded and indexed by an earlier run)");
        }
        else
        {
            await schema.Migrator.MigrateAsync();
            await schema.ExecuteAsync($"DROP INDEX {DatabaseMigrator.SearchIndexName}");
            clock.Restart();
            foreach (var tenant in smallTenants.Prepend(midTenant).Prepend(largeTenant))
                await schema.BulkLoader.BulkLoadAsync(tenant.Collection, Model, tenant.Data.Faces);
            await schema.ExecuteAsync("VACUUM ANALYZE faces, subject_templates");
            Console.WriteLine($"loaded {total:N0} faces in {clock.Elapsed.TotalSeconds:F0} s; load average {LoadAverage()}");
            clock.Restart();
            await schema.Migrator.MigrateAsync();
            Console.WriteLine($"HNSW over all {total:N0} templates built in {clock.Elapsed.TotalSeconds:F0} s; {await schema.SizesAsync()}; load average {LoadAverage()}");
        }

        var sample = smallTenants.Where((_, i) => i % Math.Max(1, small / sampled) == 0).Take(sampled).ToList();
        var server = new ServerCpu(connection);
        Console.WriteLine();
        Console.WriteLine($"k = 10, ef_search {schema.StorageOptions.EfSearch}; load average {LoadAverage()}");
        Console.WriteLine("| search | collection | subjects | queries | recall@1 | recall@10 | p50 ms | p99 ms | server CPU ms/search |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var options = schema.StorageOptions;
        PgFaceSearch Search(int exactMax) => new(schema.Database, new EmbeddingQuantizer(), Options.Create(new StorageOptions
        {
            ConnectionString = options.ConnectionString, EfSearch = options.EfSearch, HnswM = options.HnswM,
            HnswEfConstruction = options.HnswEfConstruction, ExactSearchMaxSubjects = exactMax,
        }), schema.Graphs);
        var partitions = new PgCollectionPartitions(schema.Database, Options.Create(options));
        var partitioned = (await partitions.ListAsync()).Any(p => p.Collection == largeTenant.Collection.Value);
        if (!partitioned)
        {
            await MeasureAsync("shared graph for every gallery", Search(0));
            await MeasureAsync($"exact up to {exactBelow:N0} subjects", Search(exactBelow));
            clock.Restart();
            await partitions.GiveOwnPartitionAsync(largeTenant.Collection);
            Console.WriteLine($"| `partition large`: {clock.Elapsed.TotalSeconds:F0} s (move {large:N0} templates, build their graph, attach); load average {LoadAverage()} | | | | | | | | |");
        }
        await MeasureAsync($"large in its own partition, exact up to {exactBelow:N0}", Search(exactBelow));
        var graphMin = new StorageOptions().InProcessSearchMinSubjects;
        Console.WriteLine($"| {await schema.BuildGraphsAsync(graphMin)} | | | | | | | | |");
        await MeasureAsync($"in-process graph from {graphMin:N0} subjects, exact up to {exactBelow:N0}", Search(exactBelow));

        async Task MeasureAsync(string label, PgFaceSearch search)
        {
            foreach (var (collection, tenants) in new[] { ("large", new[] { largeTenant }), ("mid", [midTenant]), ($"{sample.Count} small", sample.ToArray()) })
            {
                var asked = tenants.SelectMany(t => t.Data.Queries.Where(q => q.Kind != "uniform").Select(q => (t.Collection, Query: q))).ToList();
                foreach (var (c, q) in asked.Take(20)) await search.SearchSubjectsAsync(c, Model, q.Code, 10); // warm-up
                var results = new IReadOnlyList<SubjectMatch>[asked.Count];
                var latencies = new double[asked.Count];
                var cpu = server.Seconds();
                for (var i = 0; i < asked.Count; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    results[i] = await search.SearchSubjectsAsync(asked[i].Collection, Model, asked[i].Query.Code, 10);
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                var cpuPerSearch = (server.Seconds() - cpu) * 1000 / asked.Count;
                var all = Enumerable.Range(0, asked.Count).ToArray();
                var askedQueries = asked.Select(a => a.Query).ToList();
                Console.WriteLine($"| {label} | {collection} | {tenants[0].Data.Faces.Count:N0} | {asked.Count} | {Recall(askedQueries, results, 1, all)} | " +
                                  $"{Recall(askedQueries, results, 10, all)} | {Percentile(latencies, 50):F2} | {Percentile(latencies, 99):F2} | {cpuPerSearch:F2} |");
            }
        }
        Console.WriteLine($"load average at the end {LoadAverage()}");
        return 0;
    }
}
