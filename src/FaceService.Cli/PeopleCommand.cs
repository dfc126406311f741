using System.Globalization;
using System.Security.Cryptography;
using FaceService.CommandLine;
using FaceService.Core.Imaging;
using FaceService.Core.Naming;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using StoredCluster = FaceService.Core.Storage.ClusterSummary;
using FaceService.Inference.Imaging;

namespace FaceService.Cli;

public sealed record PeopleGroup(string Kind, string Id, int Faces, int? Version, IReadOnlyList<string?> Sources);

public sealed record PeopleSummary(
    string Collection, string Report, string Photos, int MinFaces, long ClustersInAll, long UnnamedFaces, long LowQualityFaces,
    IReadOnlyList<PeopleGroup> Clusters, IReadOnlyList<PeopleGroup> Subjects, IReadOnlyList<string> MissingPhotos);

/// <summary>
/// people: the collection's clusters of unnamed faces (what index made), largest first, as an HTML contact sheet
/// (<see cref="ContactSheet"/>): each cluster's id, size and version, and its best faces cut from the photos they came
/// from (the face's source, found under --photos), with the photo's name under each. With --named, the named subjects
/// follow. Reads the store only: no model runs.
/// </summary>
public static class PeopleCommand
{
    public const string DefaultReport = "people.html";
    public const int DefaultMinFaces = 2;

    /// <summary>Faces shown per group; the rest is a "+N more" tile (a large cluster would otherwise fill the page).</summary>
    public const int FacesShown = 24;

    private const int PageSize = 200;

    public static readonly string Usage = $"""
        faceservice people [--collection <name>] [--out <report.html>] [--photos <folder>] [--min-faces <n>] [--named] [--json <file>] [common options]
          Writes the collection's clusters (see index), largest first, as an HTML contact sheet (default {DefaultReport}):
          each cluster's id, size and version, and up to {FacesShown} of its faces with the photo each came from. Faces are
          cut from <photos folder>/<photo>: give the folder that was indexed (default: the current folder); a photo not
          found there is a grey tile. --min-faces: smaller clusters left out (default {DefaultMinFaces}). --named: the
          named subjects and their faces follow the clusters.
        """;

    public static readonly string[] Options = [.. CliHost.Options, "collection", "out", "photos", "min-faces"];
    public static readonly string[] Flags = [.. CliHost.Flags, "named"];

    /// <summary>A block of the sheet: a cluster or a subject, with the faces it shows.</summary>
    private sealed record FaceGroup(string Kind, string Id, string Title, string Note, int Size, int? Version, IReadOnlyList<StoredFace> Shown);

    public static async Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var collection = CliHost.Collection(args);
        var reportPath = Path.GetFullPath(args.Get("out") ?? DefaultReport);
        var photos = ImageFiles.RequireFolder(args.Get("photos") ?? ".");
        var minFaces = args.GetInt("min-faces", DefaultMinFaces, 1, int.MaxValue);
        var concurrency = CliHost.Concurrency(args);
        var jsonPath = args.Get("json");

        using var host = await CliHost.StartMigratedAsync(args, ct);
        var people = host.Services.GetRequiredService<PeopleService>();
        var store = host.Services.GetRequiredService<IFaceStore>();

        var (clusters, listing) = await ReadClustersAsync(people, collection, minFaces, ct);
        var subjects = args.Has("named") ? await ReadSubjectsAsync(store, collection, ct) : [];
        var groups = clusters.Select(c => new FaceGroup("cluster", c.ClusterId.ToString(CultureInfo.InvariantCulture), $"Cluster {c.ClusterId}",
                $"{c.Faces} face(s) · version {c.Version}", c.Faces, c.Version, c.Sample))
            .Concat(subjects)
            .ToList();
        var crops = await new FaceCrops(photos, host.Services.GetRequiredService<SkiaImageDecoder>())
            .CutAsync(groups.SelectMany(g => g.Shown).ToList(), concurrency, ct);
        var missing = crops.Values.Where(f => f.Thumbnail is null).Select(f => $"{f.Image}: {f.Missing}").Distinct().Order(StringComparer.Ordinal).ToList();

        var meta = string.Format(CultureInfo.InvariantCulture,
            "collection {0} · {1} cluster(s) of {2} face(s) or more shown, {3} in all · {4} unnamed face(s) ({5} of low quality, in no cluster) · {6} named subject(s) shown · photos from {7} · {8:yyyy-MM-dd HH:mm} UTC",
            collection, clusters.Count, minFaces, listing.Clusters.Total, listing.UnnamedFaces, listing.LowQualityFaces, subjects.Count, photos, DateTime.UtcNow);
        await using (var html = new StreamWriter(reportPath))
        {
            ContactSheet.BeginPage(html, "People", collection.Value, meta);
            foreach (var group in groups)
                ContactSheet.WriteFaces(html, group.Kind, group.Title, group.Shown.Select(f => crops[f.FaceId]).ToList(), group.Size, group.Note, group.Id);
            if (groups.Count == 0)
                ContactSheet.WriteList(html, "empty", "Nothing to show", [$"Collection '{collection}' has no cluster of {minFaces} face(s) or more: index photos into it first."]);
            ContactSheet.WriteList(html, "missing", $"Photos not shown (looked for under {photos})", missing);
            ContactSheet.EndPage(html);
        }

        console.Out.WriteLine($"{clusters.Count} cluster(s) of {minFaces} face(s) or more ({listing.Clusters.Total} in all, {listing.UnnamedFaces} unnamed face(s)), " +
                              $"{subjects.Count} named subject(s); {missing.Count} photo(s) not shown (looked for under '{photos}').");
        console.Out.WriteLine($"Contact sheet: {reportPath}");
        if (jsonPath is not null)
        {
            static PeopleGroup Json(FaceGroup g) => new(g.Kind, g.Id, g.Size, g.Version, g.Shown.Select(f => f.Source).ToList());
            await CliJson.WriteAsync(jsonPath, new PeopleSummary(collection.Value, reportPath, photos, minFaces, listing.Clusters.Total, listing.UnnamedFaces,
                listing.LowQualityFaces, groups.Where(g => g.Kind == "cluster").Select(Json).ToList(), subjects.Select(Json).ToList(), missing), ct);
        }
        return ExitCodes.Ok;
    }

    /// <summary>Every cluster of at least <paramref name="minFaces"/> faces, largest first, each with its best faces; and the totals.</summary>
    private static async Task<(List<StoredCluster> Clusters, ClusterListing Totals)> ReadClustersAsync(PeopleService people, CollectionName collection,
        int minFaces, CancellationToken ct)
    {
        var clusters = new List<StoredCluster>();
        var totals = await people.ListClustersAsync(collection, 1, 1, 1, 0, ct);
        for (var page = 1; ; page++)
        {
            var listing = await people.ListClustersAsync(collection, page, PageSize, minFaces, FacesShown, ct);
            clusters.AddRange(listing.Clusters.Items);
            if (listing.Clusters.Items.Count < PageSize) return (clusters, totals);
        }
    }

    /// <summary>The named subjects, most faces first, each with its first faces.</summary>
    private static async Task<List<FaceGroup>> ReadSubjectsAsync(IFaceStore store, CollectionName collection, CancellationToken ct)
    {
        var subjects = new List<SubjectSummary>();
        for (var page = 1; ; page++)
        {
            var listing = await store.ListSubjectsAsync(collection, page, PageSize, ct);
            subjects.AddRange(listing.Items);
            if (listing.Items.Count < PageSize) break;
        }
        var groups = new List<FaceGroup>(subjects.Count);
        foreach (var subject in subjects.OrderByDescending(s => s.FaceCount).ThenBy(s => s.Subject, StringComparer.Ordinal))
        {
            var faces = await store.GetSubjectFacesAsync(collection, SubjectId.Parse(subject.Subject), ct);
            groups.Add(new FaceGroup("subject", subject.Subject, subject.Subject, $"{faces.Count} face(s) · named", faces.Count, null,
                faces.OrderByDescending(f => f.Quality ?? 0).Take(FacesShown).ToList()));
        }
        return groups;
    }
}

/// <summary>
/// Crops of stored faces cut from the photos they came from: a face's source is a path under the photo folder (index
/// stores it so). Each photo is read and decoded once for all its faces, and only if it still has the bytes the face
/// was found in; otherwise the face is a tile saying why.
/// </summary>
internal sealed class FaceCrops(string photoFolder, SkiaImageDecoder decoder)
{
    public async Task<IReadOnlyDictionary<Guid, SheetFace>> CutAsync(IReadOnlyList<StoredFace> faces, int concurrency, CancellationToken ct)
    {
        var crops = new System.Collections.Concurrent.ConcurrentDictionary<Guid, SheetFace>();
        await Parallel.ForEachAsync(faces.GroupBy(f => f.Source ?? ""), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (photo, token) =>
            {
                foreach (var face in await CutAsync(photo.Key, photo.ToList(), token)) crops[face.Id] = face.Sheet;
            });
        return crops;
    }

    private async Task<IEnumerable<(Guid Id, SheetFace Sheet)>> CutAsync(string source, IReadOnlyList<StoredFace> faces, CancellationToken ct)
    {
        IEnumerable<(Guid, SheetFace)> Tiles(string why) => faces.Select(f => (f.FaceId, new SheetFace(source, f.Box, f.Score, null, why)));

        if (source.Length == 0) return Tiles("no photo name stored");
        // A source is whatever name a client gave the photo: never read outside the photo folder.
        var path = Path.GetFullPath(Path.Combine(photoFolder, source));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(photoFolder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return Tiles("not under the photo folder");
        if (!File.Exists(path)) return Tiles("photo not found");

        byte[] bytes;
        RgbaImage image;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, ct);
            image = decoder.Decode(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageDecodeException)
        {
            return Tiles("photo unreadable");
        }
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return faces.Select(f => (f.FaceId, f.ImageSha256 == sha256
            ? new SheetFace(source, f.Box, f.Score, FaceThumbnails.Crop(image, f.Box))
            : new SheetFace(source, f.Box, f.Score, null, "photo changed since it was indexed")));
    }
}
