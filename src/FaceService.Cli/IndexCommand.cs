using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using FaceService.CommandLine;
using FaceService.Core.Faces;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceService.Cli;

public sealed record IndexSummary(
    string Collection, string Folder, float MinQuality, int Photos, int Indexed, int NoFace, int FacesStored, int FacesRefused,
    IReadOnlyDictionary<string, int> RefusedByReason, int AlreadyIndexed, int Errors, long Clusters, long ClustersOfTwoOrMore,
    double Seconds, double PhotosPerSecond, double FacesPerSecond, IReadOnlyList<ImageProblem> Problems, ReclusterSummary? Recluster);

/// <summary>The recluster at the end of an index run: how long it took and how many faces changed cluster.</summary>
public sealed record ReclusterSummary(double Seconds, int Faces, int FacesMoved);

/// <summary>
/// index &lt;folder&gt;: every face of every photo under the folder stored without a name through
/// <see cref="PeopleService.IndexAsync"/> (the API's index), each joining the cluster of its person; one photo per call,
/// so that each photo is stored or not as a whole, with several in flight so the recognition batcher fills its batches.
/// The photo's path relative to the folder is stored as each face's source (people shows it). Resumable: a photo whose
/// SHA-256 is already indexed into the collection is skipped before the models run. A photo that cannot be read is
/// counted and reported, not fatal. At its end, when it stored faces, the collection's unnamed faces are reclustered all
/// at once (as the service's recluster job does), so that the clusters are those of people clustering, not of faces
/// joining one at a time; --no-recluster leaves that to a later run or to `POST /v1/people/recluster`.
/// </summary>
public static class IndexCommand
{
    public const string Usage = """
        faceservice index <folder> [--collection <name>] [--min-quality <q>] [--concurrency <n>] [--json <file>] [common options]
          Stores every face of every photo under <folder> (sub-folders included) without a name; each face joins the
          cluster of its person (see people). Faces below --min-quality (0..1, default Quality:MinQuality) are refused.
          Photos already indexed are skipped: run it again after an interruption to resume. When faces were stored,
          the collection's unnamed faces are then reclustered all at once (--no-recluster: not now).
        """;

    public static readonly string[] Options = [.. CliHost.Options, "collection", "min-quality"];
    public static readonly string[] Flags = [.. CliHost.Flags, "no-recluster"];

    private enum Outcome { Indexed, AlreadyIndexed, Error }

    /// <summary>What became of one photo: its faces stored and refused (with the reasons of each refused face).</summary>
    private sealed record PhotoResult(Outcome Outcome, int Stored = 0, IReadOnlyList<RefusedFace>? Refused = null, string? Error = null)
    {
        public int RefusedCount => Refused?.Count ?? 0;
    }

    public static async Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var folder = ImageFiles.RequireFolder(args.Positionals[0]);
        var collection = CliHost.Collection(args);
        var minQuality = args.GetFraction("min-quality");
        var concurrency = CliHost.Concurrency(args);
        var jsonPath = args.Get("json");
        var paths = ImageFiles.In(folder, recursive: true).ToList();

        using var host = await CliHost.StartMigratedAsync(args, ct);
        var people = host.Services.GetRequiredService<PeopleService>();
        var peopleStore = host.Services.GetRequiredService<IPeopleStore>();
        var modelId = host.Services.GetRequiredService<IFacePipeline>().ModelId;
        var threshold = minQuality ?? host.Services.GetRequiredService<IOptions<QualityOptions>>().Value.MinQuality;

        var indexedBefore = await peopleStore.GetIndexedPhotosAsync(collection, modelId, ct);
        var seenThisRun = new ConcurrentDictionary<string, bool>();
        var results = new ConcurrentBag<(string Name, PhotoResult Result)>();

        console.Out.WriteLine($"Indexing {paths.Count} photo(s) under '{folder}' into collection '{collection}' " +
                              $"({indexedBefore.Count} photo(s) indexed there before; {concurrency} in flight).");
        var progress = new ProgressBar(console.Out, "index", paths.Count, console.Interactive);
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (path, token) =>
            {
                var name = ImageFiles.Relative(folder, path);
                var result = await IndexAsync(name, path, token);
                results.Add((name, result));
                if (result.Error is { } error) progress.Note($"  error: {error}");
                if (result.Outcome == Outcome.AlreadyIndexed) progress.Skip();
                else progress.Advance(result.Stored, result.RefusedCount);
            });
        }
        finally
        {
            clock.Stop();
            progress.Complete();
        }

        ReclusterSummary? recluster = null;
        if (!args.Has("no-recluster") && results.Any(r => r.Result.Stored > 0))
        {
            console.Out.WriteLine("Reclustering the collection's unnamed faces all at once…");
            var reclusterClock = Stopwatch.StartNew();
            var result = await host.Services.GetRequiredService<ReclusterJobRunner>().ReclusterAsync(collection, modelId, null, ct);
            recluster = new ReclusterSummary(Math.Round(reclusterClock.Elapsed.TotalSeconds, 3), result.Faces ?? 0, result.FacesMoved ?? 0);
        }
        var clusters = await people.ListClustersAsync(collection, 1, 1, 1, 0, ct);
        var clustersOfTwo = await people.ListClustersAsync(collection, 1, 1, 2, 0, ct);
        var summary = Summarize(collection, folder, threshold, paths.Count, results.ToList(), clusters.Clusters.Total, clustersOfTwo.Clusters.Total,
            clock.Elapsed.TotalSeconds, recluster);
        WriteSummary(console.Out, summary);
        if (jsonPath is not null) await CliJson.WriteAsync(jsonPath, summary, ct);
        return ExitCodes.Ok;

        async Task<PhotoResult> IndexAsync(string name, string path, CancellationToken token)
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(path, token);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new PhotoResult(Outcome.Error, Error: $"{name}: {e.Message}");
            }
            // The same bytes twice under the folder are one photo, as they are in the store.
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (indexedBefore.Contains(sha256) || !seenThisRun.TryAdd(sha256, true)) return new PhotoResult(Outcome.AlreadyIndexed);

            try
            {
                var image = (await people.IndexAsync(collection, [new ImageInput("photo", name, bytes)], minQuality, CliHost.Operator, token)).Images[0];
                return image.AlreadyIndexed
                    ? new PhotoResult(Outcome.AlreadyIndexed)
                    : new PhotoResult(Outcome.Indexed, image.Faces.Count, image.Refused);
            }
            catch (FaceServiceException e) when (e.Error is FaceServiceError.InvalidImage or FaceServiceError.UnsupportedImageFormat or FaceServiceError.ImageTooLarge)
            {
                return new PhotoResult(Outcome.Error, Error: e.Message);
            }
        }
    }

    private static IndexSummary Summarize(CollectionName collection, string folder, float threshold, int photos,
        IReadOnlyList<(string Name, PhotoResult Result)> results, long clusters, long clustersOfTwo, double seconds, ReclusterSummary? recluster)
    {
        var indexed = results.Where(r => r.Result.Outcome == Outcome.Indexed).Select(r => r.Result).ToList();
        var stored = indexed.Sum(r => r.Stored);
        var refused = indexed.SelectMany(r => r.Refused ?? []).ToList();
        // A refused face counts once under each reason it has (a small face is often blurred too).
        var byReason = refused.SelectMany(f => f.Reasons).GroupBy(r => r.Code()).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var problems = results.Where(r => r.Result.Error is not null).Select(r => new ImageProblem(r.Name, "error", r.Result.Error!))
            .OrderBy(p => p.Path, StringComparer.Ordinal).ToList();
        return new IndexSummary(collection.Value, folder, threshold, photos, indexed.Count, indexed.Count(r => r.Stored + r.RefusedCount == 0),
            stored, refused.Count, byReason, results.Count(r => r.Result.Outcome == Outcome.AlreadyIndexed), problems.Count, clusters, clustersOfTwo,
            Math.Round(seconds, 3), Math.Round(PerSecond(indexed.Count, seconds), 3), Math.Round(PerSecond(stored, seconds), 3), problems, recluster);
    }

    private static double PerSecond(int count, double seconds) => seconds > 0 ? count / seconds : 0;

    private static void WriteSummary(TextWriter writer, IndexSummary s)
    {
        var reasons = s.RefusedByReason.Count == 0 ? "" : $" ({string.Join(", ", s.RefusedByReason.Select(r => $"{r.Key} {r.Value}"))})";
        writer.WriteLine($"Index into '{s.Collection}' done in {ProgressBar.FormatDuration(TimeSpan.FromSeconds(s.Seconds))} ({s.Seconds:F1} s):");
        (string Label, string Value)[] rows =
        [
            ("photos", $"{s.Photos}"),
            ("indexed", $"{s.Indexed} ({s.NoFace} without a face)"),
            ("faces stored", $"{s.FacesStored}"),
            ("faces refused", $"{s.FacesRefused}{reasons}, below quality {s.MinQuality:0.##}"),
            ("already indexed", $"{s.AlreadyIndexed} (skipped)"),
            ("errors", $"{s.Errors}"),
            ("rate", $"{s.PhotosPerSecond:F2} photos/s, {s.FacesPerSecond:F2} faces/s stored"),
            ("reclustered", s.Recluster is { } r ? $"{r.Faces} faces in {r.Seconds:F1} s, {r.FacesMoved} moved" : "no"),
            ("clusters now", $"{s.Clusters} ({s.ClustersOfTwoOrMore} of two faces or more)"),
        ];
        foreach (var (label, value) in rows) writer.WriteLine($"  {label,-16} {value}");
    }
}
