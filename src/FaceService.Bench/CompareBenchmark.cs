using System.Diagnostics;
using System.Text.Json;
using FaceService.CommandLine;
using FaceService.Core.Faces;
using FaceService.Evaluation;
using Microsoft.Extensions.DependencyInjection;

namespace FaceService.Bench;

/// <summary>
/// `compare`: face-api 1.7.15 and FaceService side by side, fairly: the same photo list (the first --n photos of
/// --set, default 400 of lfw-dev), the same cores, one run after the other, twice each (face-api, FaceService, face-api,
/// FaceService), so that a change in the machine's load touches both. face-api's tfjs-wasm runs on one thread, so it
/// gets one Node process per core (--processes, default the core count), each on its share of the list; FaceService
/// analyses the list with --concurrency requests in flight (default 4), as enroll does (every face embedded). Prints
/// both rates, their ratio, the machine and the load average around each run. Needs Node 20 and tests/parity's
/// packages (`npm ci --prefix tests/parity`, done here when they are missing).
/// </summary>
public static class CompareBenchmark
{
    public static int Run(ToolArguments args) => RunAsync(args).GetAwaiter().GetResult();

    private sealed record Result(string Contender, int Images, int Faces, double Seconds, string LoadBefore, string LoadAfter)
    {
        public double ImagesPerSecond => Images / Seconds;
        public double FacesPerSecond => Faces / Seconds;
    }

    private static async Task<int> RunAsync(ToolArguments args)
    {
        var set = LabelledPhotoSet.LoadShared(args.Get("set", "lfw-dev"));
        var count = args.Get("n", 400);
        var processes = args.Get("processes", Environment.ProcessorCount);
        var concurrency = args.Get("concurrency", 4);
        var photos = set.Photos.Select(p => p.Path).Order(StringComparer.Ordinal).Take(count).ToList();
        var root = LabelledPhotoSet.RepositoryRoot(AppContext.BaseDirectory);
        var parity = Path.Combine(root, "tests", "parity");
        await EnsureNodePackagesAsync(parity);

        // One folder of links: the list both contenders read, in the same order.
        var folder = Directory.CreateTempSubdirectory("faceservice-compare-");
        try
        {
            for (var i = 0; i < photos.Count; i++)
                File.CreateSymbolicLink(Path.Combine(folder.FullName, $"{i:D5}.jpg"), set.FullPath(photos[i]));
            var bytes = photos.Select(p => File.ReadAllBytes(set.FullPath(p))).ToList();

            using var services = InferenceHost.Build(args);
            var pipeline = services.GetRequiredService<IFacePipeline>();
            BenchMachine.PrintHeader();
            Console.WriteLine($"photos: the first {photos.Count} of {set.Directory} (sorted by path); face-api: {processes} Node process(es), one per core; " +
                              $"FaceService: {concurrency} requests in flight; {InferenceHost.DescribeSettings(services)}");
            foreach (var photo in bytes.Take(20)) await pipeline.AnalyzeAsync(photo, FaceSelection.All);

            var results = new List<Result>();
            for (var round = 0; round < 2; round++)
            {
                results.Add(await RunFaceApiAsync(parity, folder.FullName, processes));
                results.Add(await RunFaceServiceAsync(pipeline, bytes, concurrency));
            }

            Console.WriteLine();
            Console.WriteLine("| run | contender | images | faces | s | images/s | faces/s | load before | load after |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---|---|");
            for (var i = 0; i < results.Count; i++)
            {
                var r = results[i];
                Console.WriteLine($"| {i + 1} | {r.Contender} | {r.Images} | {r.Faces} | {r.Seconds:F1} | {r.ImagesPerSecond:F2} | {r.FacesPerSecond:F2} | {r.LoadBefore} | {r.LoadAfter} |");
            }
            var faceApi = results.Where(r => r.Contender.StartsWith("face-api", StringComparison.Ordinal)).Average(r => r.ImagesPerSecond);
            var ours = results.Where(r => r.Contender.StartsWith("FaceService", StringComparison.Ordinal)).Average(r => r.ImagesPerSecond);
            Console.WriteLine();
            Console.WriteLine($"images/s, mean of the two runs each: face-api {faceApi:F2}, FaceService {ours:F2}: {ours / faceApi:F1}x at equal cores");
            return 0;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>One Node process per share of the list, all at once; the run lasts until the last one is done.</summary>
    private static async Task<Result> RunFaceApiAsync(string parity, string folder, int processes)
    {
        var loadBefore = InferenceHost.LoadAverage();
        var runs = Enumerable.Range(0, processes).Select(shard => RunNodeAsync(parity, folder, $"{shard}/{processes}")).ToList();
        var summaries = await Task.WhenAll(runs);
        // Each process times its own loop after loading and warming up; they run side by side, so the slowest one's
        // time is the run's.
        var seconds = summaries.Max(s => s.GetProperty("seconds").GetDouble());
        return new Result($"face-api {summaries[0].GetProperty("faceApi").GetString()} ({summaries[0].GetProperty("backend").GetString()}, {processes} processes)",
            summaries.Sum(s => s.GetProperty("images").GetInt32()), summaries.Sum(s => s.GetProperty("faces").GetInt32()), seconds,
            loadBefore, InferenceHost.LoadAverage());
    }

    private static async Task<JsonElement> RunNodeAsync(string parity, string folder, string shard)
    {
        var start = new ProcessStartInfo("node", ["bench-faceapi.js", folder, "--shard", shard])
        {
            WorkingDirectory = parity, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"face-api (shard {shard}) failed: {await error}");
        // The last line is the summary (tfjs may print notices before it).
        var last = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    /// <summary>The list through the pipeline with a fixed number of requests in flight, every face embedded.</summary>
    private static async Task<Result> RunFaceServiceAsync(IFacePipeline pipeline, IReadOnlyList<byte[]> photos, int concurrency)
    {
        var loadBefore = InferenceHost.LoadAverage();
        var next = -1;
        var faces = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < photos.Count; i = Interlocked.Increment(ref next))
                Interlocked.Add(ref faces, (await pipeline.AnalyzeAsync(photos[i], FaceSelection.All)).Faces.Count);
        })));
        return new Result($"FaceService ({concurrency} in flight)", photos.Count, faces, clock.Elapsed.TotalSeconds, loadBefore, InferenceHost.LoadAverage());
    }

    private static async Task EnsureNodePackagesAsync(string parity)
    {
        if (Directory.Exists(Path.Combine(parity, "node_modules", "@vladmandic", "face-api"))) return;
        Console.Error.WriteLine("installing face-api's packages: npm ci --prefix tests/parity");
        using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = parity })
            ?? throw new InvalidOperationException("npm did not start.");
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0) throw new InvalidOperationException("npm ci failed in tests/parity.");
    }
}
