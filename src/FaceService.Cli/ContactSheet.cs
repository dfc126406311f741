using System.Globalization;
using System.Net;

namespace FaceService.Cli;

/// <summary>One face found in a photo: where it is, and its crop (JPEG) for the sheet.</summary>
/// <param name="Thumbnail">Null where the photo could not be read: the sheet shows a tile saying <paramref name="Missing"/>.</param>
public sealed record SheetFace(string Image, Core.Faces.FaceBox Box, float Score, byte[]? Thumbnail, string? Missing = null);

/// <param name="LeftOut">Faces below the quality threshold, not clustered.</param>
public sealed record ClusterReport(
    string Folder, Core.Services.CodeClustering Clustering, int Images,
    IReadOnlyList<IReadOnlyList<SheetFace>> Clusters, IReadOnlyList<SheetFace> Singletons,
    IReadOnlyList<string> NoFace, IReadOnlyList<ImageProblem> Errors, IReadOnlyList<SheetFace> LeftOut, float MinQuality);

/// <summary>
/// Faces as one self-contained HTML page: every crop is a base64 JPEG data URI, styles are inline, nothing is
/// fetched, so the file can be mailed or archived as it is. Each group of faces is a &lt;section&gt; (class "cluster" for
/// a cluster) with data-size, each face a &lt;figure&gt; with data-image (the photo's path relative to the folder) for scripts.
/// <see cref="Write"/> is the cluster command's page; other pages are built from <see cref="BeginPage"/>,
/// <see cref="WriteFaces"/>, <see cref="WriteList"/> and <see cref="EndPage"/>.
/// </summary>
public static class ContactSheet
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
        h1{margin:0 0 4px}p.meta{color:#666;margin:0 0 24px}
        main{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
        section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;box-sizing:border-box;max-width:100%}
        h2{font-size:16px;margin:0 0 8px}h2 small{color:#666;font-weight:normal}
        .faces{display:flex;flex-wrap:wrap;gap:8px}
        figure{margin:0;width:128px;text-align:center}
        figure img,.tile{width:128px;height:128px;border-radius:6px;display:block}
        .tile{box-sizing:border-box;padding:8px;background:#eee;color:#888;font-size:12px;display:flex;align-items:center;justify-content:center}
        .more .tile{background:none;border:1px dashed #ccc;color:#555;font-size:15px}
        figcaption{font-size:11px;color:#555;overflow-wrap:anywhere;margin-top:2px}
        ul{margin:0;padding-left:20px;font-size:13px}
        """;

    private static string Method(Core.Services.CodeClustering clustering) => clustering.Threshold is { } threshold
        ? string.Format(CultureInfo.InvariantCulture, "agglomerative, threshold {0:0.###} ({1} linkage)", threshold,
            clustering.Linkage.ToString()!.ToLowerInvariant())
        : "grouped into people";

    public static void Write(TextWriter w, ClusterReport report)
    {
        var faces = report.Clusters.Sum(c => c.Count) + report.Singletons.Count;
        BeginPage(w, "Face clusters", report.Folder, string.Format(CultureInfo.InvariantCulture,
            "{0} · {1} image(s) · {2} face(s) · {3} cluster(s) · {4} face(s) alone · {5} · {6:yyyy-MM-dd HH:mm} UTC",
            report.Folder, report.Images, faces, report.Clusters.Count, report.Singletons.Count, Method(report.Clustering), DateTime.UtcNow));

        for (var c = 0; c < report.Clusters.Count; c++)
            WriteFaces(w, "cluster", $"Person {c + 1}", report.Clusters[c]);
        if (report.Singletons.Count > 0)
            WriteFaces(w, "singletons", "Faces like no other", report.Singletons);
        if (report.LeftOut.Count > 0)
            WriteFaces(w, "leftout", string.Format(CultureInfo.InvariantCulture, "Left out: quality below {0:0.##}", report.MinQuality), report.LeftOut);
        WriteList(w, "noface", "Images without a face", report.NoFace);
        WriteList(w, "errors", "Images that could not be read", report.Errors.Select(e => e.Message).ToList());
        EndPage(w);
    }

    /// <summary>The page's head, its heading and a line about what it shows (plain text: encoded here).</summary>
    public static void BeginPage(TextWriter w, string heading, string subject, string meta)
    {
        w.WriteLine("<!DOCTYPE html>");
        w.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        w.WriteLine($"<title>{Encode(heading)}: {Encode(subject)}</title>");
        w.WriteLine($"<style>{Style}</style></head><body>");
        w.WriteLine($"<h1>{Encode(heading)}</h1>");
        w.WriteLine($"<p class=\"meta\">{Encode(meta)}</p>");
        // Sections flow side by side, so that a page of small groups is not a column of mostly empty rows.
        w.WriteLine("<main>");
    }

    public static void EndPage(TextWriter w) => w.WriteLine("</main></body></html>");

    /// <summary>
    /// A section of faces. <paramref name="size"/>: how many the group has when <paramref name="faces"/> shows only some
    /// (the rest is a "+N more" tile); <paramref name="note"/>: the heading's small print (default: the size);
    /// <paramref name="id"/>: the group's id, as data-id.
    /// </summary>
    public static void WriteFaces(TextWriter w, string kind, string title, IReadOnlyList<SheetFace> faces, int? size = null, string? note = null,
        string? id = null)
    {
        var total = size ?? faces.Count;
        var dataId = id is null ? "" : $" data-id=\"{Encode(id)}\"";
        w.WriteLine($"<section class=\"{kind}\"{dataId} data-size=\"{total}\"><h2>{Encode(title)} <small>{Encode(note ?? $"{total} face(s)")}</small></h2><div class=\"faces\">");
        foreach (var face in faces)
        {
            var image = Encode(face.Image);
            var picture = face.Thumbnail is { } thumbnail
                ? $"<img alt=\"face in {image}\" src=\"data:image/jpeg;base64,{Convert.ToBase64String(thumbnail)}\""
                : $"<div class=\"tile\"";
            w.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "<figure data-image=\"{0}\">{1} title=\"{0} · score {2:0.00} · box {3:0},{4:0} {5:0}x{6:0}\">{7}<figcaption>{8}</figcaption></figure>",
                image, picture, face.Score, face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height,
                face.Thumbnail is null ? $"{Encode(face.Missing ?? "photo not found")}</div>" : "",
                // A long path breaks after a folder or an underscore rather than anywhere in a name.
                image.Replace("/", "/<wbr>", StringComparison.Ordinal).Replace("_", "_<wbr>", StringComparison.Ordinal)));
        }
        if (total > faces.Count)
            w.WriteLine($"<figure class=\"more\"><div class=\"tile\">+{total - faces.Count} more</div></figure>");
        w.WriteLine("</div></section>");
    }

    public static void WriteList(TextWriter w, string kind, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        w.WriteLine($"<section class=\"{kind}\" data-size=\"{items.Count}\"><h2>{Encode(title)} <small>{items.Count}</small></h2><ul>");
        foreach (var item in items) w.WriteLine($"<li>{Encode(item)}</li>");
        w.WriteLine("</ul></section>");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
