using FaceService.CommandLine;
using System.Diagnostics;
using FaceService.Core.Clustering;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Core.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using FaceService.Inference.Imaging;

namespace FaceService.Cli;

/// <summary>A face of the --json report: the photo it is in, where, and the detector's score.</summary>
public sealed record ClusteredFace(string Image, FaceBox Box, float Score);

public sealed record ClusterSummary(
    string Folder, ClusteringMethod Method, float? Threshold, Linkage? Linkage, int Images, int Faces, double Seconds, double FacesPerSecond,
    IReadOnlyList<IReadOnlyList<ClusteredFace>> Clusters, IReadOnlyList<ClusteredFace> Singletons,
    IReadOnlyList<string> NoFace, IReadOnlyList<ImageProblem> Errors, IReadOnlyList<ClusteredFace> LeftOut);

/// <summary>
/// cluster &lt;folder&gt;: every face of every photo under the folder, grouped into people (or by agglomerative clustering
/// when a threshold or linkage is given: the service's clusterers and defaults; faces of one photo never together),
/// written as an HTML contact sheet of face crops. Needs no database.
/// </summary>
public static class ClusterCommand
{
    public const string DefaultReport = "clusters.html";

    public const string Usage = $"""
        faceservice cluster <folder> [--out <report.html>] [--threshold <d>] [--linkage average|complete|single] [--json <file>] [common options]
          Groups every face in the photos under <folder> (sub-folders included) into people and writes an HTML contact
          sheet of face crops (default {DefaultReport}), one self-contained file. Faces of one photo never share a group.
          --threshold (squared L2, 0..4) or --linkage: agglomerative clustering cut at that distance instead.
          Faces below Quality:MinQuality are left out (shown apart) unless --include-low-quality.
        """;

    public static readonly string[] Options = [.. CliHost.Options, "out", "threshold", "linkage"];
    public static readonly string[] Flags = [.. CliHost.Flags, "include-low-quality"];

    private sealed record AnalyzedPhoto(string Name, IReadOnlyList<(EmbeddedFace Face, byte[] Thumbnail)> Faces, string? Error);

    public static async Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var folder = ImageFiles.RequireFolder(args.Positionals[0]);
        var reportPath = Path.GetFullPath(args.Get("out") ?? DefaultReport);
        var threshold = args.GetThreshold("threshold");
        var linkage = args.GetEnum<Linkage>("linkage");
        var concurrency = CliHost.Concurrency(args);
        var jsonPath = args.Get("json");
        var paths = ImageFiles.In(folder, recursive: true).ToList();

        using var host = CliHost.Build(args, onStore: false);
        await host.StartAsync(ct);
        var pipeline = host.Services.GetRequiredService<IFacePipeline>();
        var decoder = host.Services.GetRequiredService<SkiaImageDecoder>();
        var recognition = host.Services.GetRequiredService<FaceRecognitionService>();

        console.Out.WriteLine($"Finding faces in {paths.Count} photo(s) under '{folder}' ({concurrency} in flight).");
        var progress = new ProgressBar(console.Out, "analyze", paths.Count, console.Interactive);
        var photos = new AnalyzedPhoto[paths.Count];
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
                async (i, token) =>
                {
                    photos[i] = await AnalyzeAsync(ImageFiles.Relative(folder, paths[i]), paths[i], token);
                    if (photos[i].Error is { } error) progress.Note($"  error: {error}");
                    progress.Advance(photos[i].Faces.Count);
                });
        }
        finally
        {
            progress.Complete();
        }

        // Faces below the quality threshold chain people together: left out unless asked for, as the API's cluster does.
        var minQuality = host.Services.GetRequiredService<IOptions<QualityOptions>>().Value.MinQuality;
        var found = photos.SelectMany(p => p.Faces.Select(f => (Photo: p.Name, f.Face, f.Thumbnail))).ToList();
        var kept = found.Where(f => args.Has("include-low-quality") || f.Face.Quality.Score >= minQuality).ToList();
        var leftOut = found.Except(kept).Select(f => new SheetFace(f.Photo, f.Face.Box, f.Face.Score, f.Thumbnail)).ToList();
        var faces = kept.Select(f => new SheetFace(f.Photo, f.Face.Box, f.Face.Score, f.Thumbnail)).ToList();
        var codes = kept.Select(f => f.Face.Code).ToList();
        var photoOf = kept.Select(f => (string?)f.Photo).ToList();
        CodeClustering clustering;
        try
        {
            clustering = recognition.ClusterCodes(codes, photoOf, new ClusterParameters(threshold, linkage), ct);
        }
        catch (FaceServiceException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        var grouping = clustering.Grouping;
        clock.Stop();

        var report = new ClusterReport(folder, clustering, paths.Count,
            grouping.Clusters.Select(c => (IReadOnlyList<SheetFace>)c.Select(i => faces[i]).ToList()).ToList(),
            grouping.Singletons.Select(i => faces[i]).ToList(),
            photos.Where(p => p.Error is null && p.Faces.Count == 0).Select(p => p.Name).ToList(),
            photos.Where(p => p.Error is not null).Select(p => new ImageProblem(p.Name, "error", p.Error!)).ToList(), leftOut, minQuality);
        await using (var html = new StreamWriter(reportPath))
            ContactSheet.Write(html, report);

        var seconds = clock.Elapsed.TotalSeconds;
        console.Out.WriteLine($"{faces.Count} face(s) in {paths.Count} photo(s): {report.Clusters.Count} cluster(s) " +
                              $"({string.Join(", ", report.Clusters.Select(c => c.Count))}), {report.Singletons.Count} face(s) alone, " +
                              $"{leftOut.Count} left out (quality below {minQuality:0.##}), {report.NoFace.Count} photo(s) without a face, {report.Errors.Count} error(s); {seconds:F1} s, {faces.Count / Math.Max(seconds, 1e-9):F2} faces/s.");
        console.Out.WriteLine($"Contact sheet: {reportPath}");

        if (jsonPath is not null)
        {
            static ClusteredFace Json(SheetFace f) => new(f.Image, f.Box, f.Score);
            await CliJson.WriteAsync(jsonPath, new ClusterSummary(folder, clustering.Method, clustering.Threshold, clustering.Linkage, paths.Count,
                faces.Count, Math.Round(seconds, 3),
                Math.Round(faces.Count / Math.Max(seconds, 1e-9), 3),
                report.Clusters.Select(c => (IReadOnlyList<ClusteredFace>)c.Select(Json).ToList()).ToList(),
                report.Singletons.Select(Json).ToList(), report.NoFace, report.Errors, report.LeftOut.Select(Json).ToList()), ct);
        }
        return ExitCodes.Ok;

        async Task<AnalyzedPhoto> AnalyzeAsync(string name, string path, CancellationToken token)
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(path, token);
                var analysis = await pipeline.AnalyzeAsync(bytes, FaceSelection.All, token);
                if (analysis.Faces.Count == 0) return new AnalyzedPhoto(name, [], null);
                // Decoded again for the crops rather than kept from the pipeline: only the small JPEGs stay in memory.
                var image = decoder.Decode(bytes);
                return new AnalyzedPhoto(name, analysis.Faces.Select(f => (f, FaceThumbnails.Crop(image, f.Box))).ToList(), null);
            }
            catch (ImageDecodeException e)
            {
                return new AnalyzedPhoto(name, [], $"{name}: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new AnalyzedPhoto(name, [], $"{name}: {e.Message}");
            }
        }
    }
}
