using FaceService.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Inference;
using Microsoft.Extensions.DependencyInjection;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;
using FaceService.Inference.Runtime;

namespace FaceService.Bench;

/// <summary>
/// `pipeline`: the service's face pipeline (built by AddFaceInference) on the dev photos, after a warm-up.
/// (a) stages: the stage classes called in turn on every photo once, decode → detect → landmarks → align (with the face's
/// quality) → embed (each chip and its mirror image with mirror averaging, as the pipeline does) → quantize;
/// (b) the recognition net alone on batches of chips (`flops` times every network alone); (c) <see cref="IFacePipeline"/> end to end under N concurrent
/// requests, each a loop over the photos, with the configured micro-batching and without it (max batch 1).
/// Options: --seconds 15 (per end-to-end run), --concurrency 1,4,16, --batches 1,8,32, --batch-seconds 4, --warmup-images 40,
/// --groups false (add the group photos), --sizes all|lfw|larger (250x250 LFW photos or the larger ones), --photos (folder with manifest.tsv), and the inference settings
/// --device, --threads, --max-batch, --max-wait-ms, --models.
/// </summary>
public static class PipelineBenchmark
{
    private static readonly string[] Stages = ["decode", "detect", "landmarks", "align", "embed", "quantize"];

    // LFW's photos are 250x250: `--sizes lfw` takes those, `larger` the rest (the dev set's 374-2333 px photos and,
    // with --groups, the group photos).
    private const int LfwSide = 250;

    public static int Run(ToolArguments args)
    {
        var seconds = args.Get("seconds", 15);
        var concurrencies = PositiveList(args.Get("concurrency", "1,4,16"), "concurrency");
        var batchSizes = PositiveList(args.Get("batches", "1,8,32"), "batches");
        var batchSeconds = args.Get("batch-seconds", 4);
        var warmUpImages = args.Get("warmup-images", 40);
        var includeGroups = bool.TryParse(args.Get("groups", "false"), out var groups)
            ? groups : throw new ArgumentException("--groups takes true or false.");
        var sizes = args.Get("sizes", "all");
        var photos = DevPhotos.Load(args.Get("photos", "") is { Length: > 0 } folder ? folder : null, includeGroups)
            .Where(p => sizes switch
            {
                "all" => true,
                "lfw" => DevPhotos.LongerSide(p) <= LfwSide,
                "larger" => DevPhotos.LongerSide(p) > LfwSide,
                _ => throw new ArgumentException("--sizes takes all, lfw or larger."),
            }).ToArray();
        if (photos.Length == 0) throw new ArgumentException("No photos to run on.");

        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BenchMachine.DescribeMachine()}");
        Console.WriteLine($"load average (1/5/15 min) at start: {InferenceHost.LoadAverage()}");

        using var services = InferenceHost.Build(args);
        var options = services.GetRequiredService<InferenceOptions>();
        Console.WriteLine($"settings: {InferenceHost.DescribeSettings(services)}");
        Console.WriteLine($"photos: {photos.Length} ({(includeGroups ? "single-face person folders + group photos" : "single-face person folders")}, sizes {sizes}), " +
                          $"{photos.Sum(p => p.Bytes.Length) / 1e6:F1} MB encoded");
        // The service's warm-up (each model once) leaves the pipeline's C# code at tier-0 JIT, about twice as slow here: run
        // the pipeline until the runtime has recompiled it, as a service is after its first few dozen requests.
        services.GetRequiredService<InferenceWarmUp>().RunAsync().GetAwaiter().GetResult();
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < warmUpImages; i++)
            services.GetRequiredService<IFacePipeline>().AnalyzeAsync(photos[i % photos.Length].Bytes, FaceSelection.All).GetAwaiter().GetResult();
        Console.WriteLine($"warm-up: {warmUpImages} images through the pipeline in {warmUp.Elapsed.TotalSeconds:F1} s");

        var cost = ModelFlops.PipelineWork.Count(services);
        var peak = ModelFlops.MeasuredPeakGflops(TimeSpan.FromSeconds(2));
        Console.WriteLine($"work: detector {cost.DetectorGflop:F2} GFLOP per image ({cost.DetectorBasis}), landmarks {cost.LandmarksGflop:F3} " +
                          $"and recognition {cost.RecognitionRunsPerFace} x {cost.RecognitionGflop:F3} GFLOP per face (Conv/Gemm/MatMul); " +
                          $"measured peak {peak:F0} GFLOP/s (nominal {ModelFlops.PeakGflops().Gflops:F0}; `flops` times each network alone)");

        var chips = StageBreakdown(services, photos);
        RecognitionBatches(services.GetRequiredService<RecognitionNet>(), chips, batchSizes, batchSeconds, cost, peak);

        // Without micro-batching: the same settings with one chip per recognition run.
        using var unbatched = options.MaxBatchSize > 1
            ? InferenceHost.Build(args, new Dictionary<string, string> { [nameof(InferenceOptions.MaxBatchSize)] = "1" })
            : null;
        var variants = new List<(string Name, IServiceProvider Services)> { ($"on (max {options.MaxBatchSize}, wait {options.MaxBatchWaitMs} ms)", services) };
        if (unbatched is not null) variants.Add(("off (max 1)", unbatched));
        EndToEnd(variants, photos, concurrencies, TimeSpan.FromSeconds(seconds), cost, peak).GetAwaiter().GetResult();

        Console.WriteLine($"load average at end: {InferenceHost.LoadAverage()}; peak resident memory {BenchMachine.PeakWorkingSetBytes() / 1e6:F0} MB");
        return 0;
    }

    /// <summary>(a) Each stage class in turn on every photo, timed apart; returns the aligned chips for (b).</summary>
    private static List<RgbaImage> StageBreakdown(IServiceProvider services, IReadOnlyList<DevPhotos.Photo> photos)
    {
        var decoder = services.GetRequiredService<SkiaImageDecoder>();
        var detector = services.GetRequiredService<IFaceDetector>();
        var landmarker = services.GetRequiredService<IFaceLandmarker>();
        var aligner = services.GetRequiredService<FaceChipAligner>();
        var net = services.GetRequiredService<RecognitionNet>();
        var quantizer = services.GetRequiredService<IEmbeddingQuantizer>();
        var mirrorAveraging = services.GetRequiredService<InferenceOptions>().MirrorAveraging;
        var qualityScorer = services.GetRequiredService<FaceQualityScorer>();

        var perImage = Stages.Select(_ => new List<double>()).ToArray();
        var perFace = Stages.Select(_ => new List<double>()).ToArray();
        // Process CPU time per stage: what the stage costs the machine, whatever else competes for the cores.
        var cpuMs = new double[Stages.Length];
        var allChips = new List<RgbaImage>();
        var faceCount = 0;
        var watch = Stopwatch.StartNew();
        foreach (var photo in photos)
        {
            var times = new double[Stages.Length];
            var (lap, cpuLap) = (Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime);
            void Lap(int stage)
            {
                var (now, cpuNow) = (Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime);
                times[stage] = Stopwatch.GetElapsedTime(lap, now).TotalMilliseconds;
                cpuMs[stage] += (cpuNow - cpuLap).TotalMilliseconds;
                (lap, cpuLap) = (now, cpuNow);
            }

            var image = decoder.Decode(photo.Bytes);
            Lap(0);
            var found = detector.Detect(image);
            var boxes = found.Select(f => f.Box).ToArray();
            Lap(1);
            // As the pipeline: an image without faces stops after detection.
            if (boxes.Length > 0)
            {
                var landmarks = landmarker.Detect(image, boxes);
                Lap(2);
                // As the pipeline: each chip cut, then the face's quality from its sharpness (timed here, not needed).
                var chips = boxes.Select((box, i) => aligner.Cut(image, box, landmarks[i])).ToArray();
                _ = chips.Select((chip, i) => qualityScorer.Score(found[i].Score, landmarks[i].ToFivePoints(), ChipSharpness.Measure(chip))).ToArray();
                Lap(3);
                // As the pipeline embeds: with mirror averaging, each chip and its mirror image (two recognition runs a face).
                var embeddings = mirrorAveraging ? MirrorAveraging.Average(net.Embed(MirrorAveraging.WithMirrors(chips))) : net.Embed(chips);
                Lap(4);
                foreach (var embedding in embeddings) quantizer.Quantize(embedding);
                Lap(5);
                allChips.AddRange(chips);
                faceCount += boxes.Length;
            }
            for (var s = 0; s < Stages.Length; s++)
            {
                perImage[s].Add(times[s]);
                if (boxes.Length > 0) perFace[s].Add(times[s] / boxes.Length);
            }
        }
        var wall = watch.Elapsed;
        if (allChips.Count == 0) throw new InvalidOperationException("No face found in any photo.");

        var imageTotals = Enumerable.Range(0, photos.Count).Select(i => perImage.Sum(s => s[i])).ToList();
        var faceTotals = Enumerable.Range(0, perFace[0].Count).Select(i => perFace.Sum(s => s[i])).ToList();
        var grandTotal = imageTotals.Sum();
        Console.WriteLine();
        Console.WriteLine($"(a) stages, one request at a time: {photos.Count} images, {faceCount} faces, {photos.Count - perFace[0].Count} images without a face; " +
                          $"{wall.TotalSeconds:F1} s, {photos.Count / wall.TotalSeconds:F2} images/s, {faceCount / wall.TotalSeconds:F2} faces/s");
        Console.WriteLine($"{"stage",-10} {"ms/image: mean",15} {"p50",7} {"p95",7}   {"ms/face: mean",14} {"p50",7} {"p95",7} {"share",7} {"cpu ms/image",13}");
        for (var s = 0; s <= Stages.Length; s++)
        {
            var (name, images, faces, cpu) = s < Stages.Length
                ? (Stages[s], perImage[s], perFace[s], cpuMs[s])
                : ("total", imageTotals, faceTotals, cpuMs.Sum());
            var (imageStats, faceStats) = (Summary.Of(images), Summary.Of(faces));
            Console.WriteLine($"{name,-10} {imageStats.Mean,15:F2} {imageStats.P50,7:F2} {imageStats.P95,7:F2}   " +
                              $"{faceStats.Mean,14:F2} {faceStats.P50,7:F2} {faceStats.P95,7:F2} {images.Sum() / grandTotal,7:P1} {cpu / photos.Count,13:F2}");
        }
        return allChips;
    }

    /// <summary>(b) The recognition net alone (one ORT run per batch, as the batcher makes them) on batches of real chips.</summary>
    private static void RecognitionBatches(RecognitionNet net, List<RgbaImage> chips, IReadOnlyList<int> batchSizes, int seconds,
        ModelFlops.PipelineWork cost, double peakGflops)
    {
        Console.WriteLine();
        Console.WriteLine($"(b) recognition net alone, ≥{seconds} s and ≥3 runs per batch size; load average {InferenceHost.LoadAverage()}");
        Console.WriteLine($"{"batch",5} {"runs",5} {"ms/batch: mean",15} {"p50",8} {"ms/chip",8} {"chips/s",8} {"vs batch " + batchSizes[0],11} {"GFLOP/s",8} {"of peak",8}");
        double? baseline = null;
        foreach (var size in batchSizes)
        {
            var batch = Enumerable.Range(0, size).Select(i => chips[i % chips.Count]).ToArray();
            var times = TimeRuns(() => net.Embed(batch), seconds);
            var stats = Summary.Of(times);
            var chipsPerSecond = size * 1000 / stats.Mean;
            baseline ??= chipsPerSecond;
            var gflops = chipsPerSecond * cost.RecognitionGflop;
            Console.WriteLine($"{size,5} {times.Count,5} {stats.Mean,15:F1} {stats.P50,8:F1} {stats.Mean / size,8:F2} {chipsPerSecond,8:F1} " +
                              $"{chipsPerSecond / baseline.Value,10:F2}x {gflops,8:F1} {gflops / peakGflops,8:P0}");
        }
    }

    /// <summary>Wall-clock ms of each run, after one untimed run (ORT plans memory per input shape), for ≥ seconds and ≥ 3 runs.</summary>
    internal static List<double> TimeRuns(Action run, int seconds)
    {
        run();
        var times = new List<double>();
        var watch = Stopwatch.StartNew();
        while (times.Count < 3 || watch.Elapsed.TotalSeconds < seconds)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return times;
    }

    /// <summary>(c) N tasks, each analyzing photos in a loop (round robin over the set) until the time is up, per variant.</summary>
    private static async Task EndToEnd(IReadOnlyList<(string Name, IServiceProvider Services)> variants, IReadOnlyList<DevPhotos.Photo> photos,
        IReadOnlyList<int> concurrencies, TimeSpan duration, ModelFlops.PipelineWork cost, double peakGflops)
    {
        Console.WriteLine();
        Console.WriteLine($"(c) end to end through IFacePipeline (all faces embedded and quantized), {duration.TotalSeconds:F0} s per row; " +
                          "latency = one request; batch = chips per recognition run; cores = process CPU time / wall time");
        Console.WriteLine($"{"micro-batching",-26} {"conc",4} {"images",6} {"faces",6} {"images/s",9} {"faces/s",8} {"p50 ms",8} {"p95 ms",8} " +
                          $"{"batch",6} {"cores",6} {"of peak",8} {"load 1m",8}");
        // Variants alternate within each concurrency, so that a change in background load hits both alike.
        foreach (var concurrency in concurrencies)
        foreach (var (name, services) in variants)
        {
            var pipeline = services.GetRequiredService<IFacePipeline>();
            var embedder = services.GetRequiredService<BatchingFaceEmbedder>();
            await RunLoadAsync(pipeline, embedder, photos, concurrency, TimeSpan.Zero); // one request per task: thread pool and ORT warm
            var load = await RunLoadAsync(pipeline, embedder, photos, concurrency, duration);
            var wallSeconds = load.Wall.TotalSeconds;
            var latency = Summary.Of(load.LatenciesMs);
            var gflops = (load.Images * cost.DetectorGflop + load.Faces * (cost.LandmarksGflop + cost.RecognitionRunsPerFace * cost.RecognitionGflop)) / wallSeconds;
            Console.WriteLine($"{name,-26} {concurrency,4} {load.Images,6} {load.Faces,6} {load.Images / wallSeconds,9:F2} {load.Faces / wallSeconds,8:F2} " +
                              $"{latency.P50,8:F0} {latency.P95,8:F0} {load.MeanBatch,6:F2} {load.Cpu.TotalSeconds / wallSeconds,6:F2} " +
                              $"{gflops / peakGflops,8:P0} {InferenceHost.LoadAverage().Split(' ')[0],8}");
        }
    }

    private sealed record LoadResult(int Images, int Faces, TimeSpan Wall, TimeSpan Cpu, List<double> LatenciesMs, double MeanBatch);

    private static async Task<LoadResult> RunLoadAsync(IFacePipeline pipeline, BatchingFaceEmbedder? embedder,
        IReadOnlyList<DevPhotos.Photo> photos, int concurrency, TimeSpan duration)
    {
        var next = -1;
        var (batchesBefore, chipsBefore) = (embedder?.BatchesRun ?? 0, embedder?.ChipsEmbedded ?? 0);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var faces = 0;
            do
            {
                var photo = photos[(int)((uint)Interlocked.Increment(ref next) % (uint)photos.Count)];
                var start = Stopwatch.GetTimestamp();
                var analysis = await pipeline.AnalyzeAsync(photo.Bytes, FaceSelection.All).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                faces += analysis.Faces.Count;
            } while (watch.Elapsed < duration);
            return (Latencies: latencies, Faces: faces);
        })).ToArray();
        var results = await Task.WhenAll(workers).ConfigureAwait(false);
        var wall = watch.Elapsed;
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var batches = (embedder?.BatchesRun ?? 0) - batchesBefore;
        var chips = (embedder?.ChipsEmbedded ?? 0) - chipsBefore;
        var latenciesMs = results.SelectMany(r => r.Latencies).ToList();
        return new LoadResult(latenciesMs.Count, results.Sum(r => r.Faces), wall, cpu, latenciesMs, batches > 0 ? (double)chips / batches : double.NaN);
    }

    private static int[] PositiveList(string text, string name)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : -1).ToArray();
        if (values.Length == 0 || values.Contains(-1)) throw new ArgumentException($"--{name} takes positive integers separated by commas, got '{text}'.");
        return values;
    }

    /// <summary>Mean and nearest-rank percentiles of a sample.</summary>
    internal readonly record struct Summary(double Mean, double P50, double P95)
    {
        public static Summary Of(IReadOnlyCollection<double> values)
        {
            if (values.Count == 0) return new Summary(double.NaN, double.NaN, double.NaN);
            var sorted = values.Order().ToArray();
            double Percentile(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
            return new Summary(sorted.Average(), Percentile(0.5), Percentile(0.95));
        }
    }
}
