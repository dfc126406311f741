using System.Diagnostics;
using FaceService.CommandLine;
using FaceService.Core.Calibration;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using FaceService.Evaluation;
using FaceService.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FaceService.Bench;

/// <summary>
/// `people`: the database side of indexing and reclustering at scale. --n photos of one face each (synthetic people,
/// --photos-per-person of each, in random order) indexed one photo at a time through <see cref="PgPeopleStore"/> into
/// a fresh schema of the bench database (what `POST /v1/index` does after the models): latency of each block of --block
/// photos as the collection grows. Then a recluster as the job runs it (<see cref="ReclusterJobRunner.ReclusterAsync"/>:
/// read the unnamed faces, cluster them into people, apply), timed by stage. Options: --n 20000 --block 5000 --photos-per-person 5 --noise 0.015 --seed 1 --connection, --models.
/// </summary>
public static class PeopleBenchmark
{
    private const string Model = "bench-model";

    public static int Run(ToolArguments args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(ToolArguments args)
    {
        var n = args.Get("n", 20_000);
        var block = args.Get("block", 5_000);
        var perPerson = args.Get("photos-per-person", 5);
        var faces = new SyntheticFaces(args.Get("seed", 1), noise: args.Get("noise", 0.015f));
        var connection = args.Get("connection", SearchBenchmark.DefaultConnection);
        using var services = InferenceHost.Build(args);
        var calibration = services.GetRequiredService<DistanceCalibration>();
        BenchMachine.PrintHeader();
        Console.WriteLine($"people: {n} photos of one face, {perPerson} per person, block {block}");

        var people = Enumerable.Range(0, (n + perPerson - 1) / perPerson).Select(_ => faces.NewSubject()).ToArray();
        var random = new Random(args.Get("seed", 1));
        var photos = Enumerable.Range(0, n).Select(i => people[i / perPerson]).OrderBy(_ => random.Next()).ToList();
        var quantizer = new EmbeddingQuantizer();

        await using var schema = await SearchBenchmark.BenchSchema.CreateAsync(connection, null, 16, 64, 1024);
        await schema.Migrator.MigrateAsync();
        var store = new PgPeopleStore(schema.Database, new ClusterJoining(calibration), quantizer);
        var collection = CollectionName.Parse("bench-people");

        Console.WriteLine("| photos stored | p50 ms | p99 ms | photos/s |");
        Console.WriteLine("|---:|---:|---:|---:|");
        var latencies = new List<double>(block);
        var blockClock = Stopwatch.StartNew();
        for (var i = 0; i < photos.Count; i++)
        {
            var code = faces.CodeNear(photos[i]);
            var photo = new PhotoToIndex(faces.RandomSha256(), $"photo{i}.jpg",
                [new FaceToIndex(new FaceBox(10, 10, 100, 120), 0.99f, code, quantizer.Dequantize(code), 0.9f, false)], 0);
            var clock = Stopwatch.StartNew();
            await store.IndexPhotoAsync(collection, Model, photo);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            if (latencies.Count == block || i == photos.Count - 1)
            {
                latencies.Sort();
                Console.WriteLine($"| {i + 1} | {latencies[latencies.Count / 2]:F1} | {latencies[(int)(latencies.Count * 0.99)]:F1} | " +
                                  $"{latencies.Count / blockClock.Elapsed.TotalSeconds:F0} |");
                latencies.Clear();
                blockClock.Restart();
            }
        }
        var asIndexed = await store.ListClustersAsync(collection, Model, 1, 1, 2, 0);

        var clusterer = new PeopleClusterer(calibration, Options.Create(new ClusteringOptions { MaxFaces = int.MaxValue }));
        var runner = new ReclusterJobRunner(new PgReclusterJobStore(schema.Database), store, clusterer, NullLogger<ReclusterJobRunner>.Instance);
        var stages = new List<(string Stage, TimeSpan At)>();
        var total = Stopwatch.StartNew();
        var result = await runner.ReclusterAsync(collection, Model, (stage, _) => stages.Add((stage, total.Elapsed)), CancellationToken.None);
        var took = total.Elapsed;
        Console.WriteLine();
        Console.WriteLine($"as indexed: {asIndexed.Clusters.Total} clusters of two faces or more for {people.Length} people");
        Console.WriteLine($"recluster of {result.Faces} faces: {took.TotalSeconds:F1} s (" +
                          string.Join(", ", stages.Zip([.. stages.Skip(1).Select(s => s.At), took], (s, end) => $"{s.Stage} {(end - s.At).TotalSeconds:F1} s")) +
                          $"); {result.Clusters} clusters of two or more, {result.FacesMoved} faces moved");
        return 0;
    }
}
