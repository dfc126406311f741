using System.Globalization;
using System.Net;

namespace FaceService.Cli;

/// <summary>One face found in a photo: where it is, and its crop (JPEG) for the sheet.</summary>
public sealed record SheetFace(string Image, Core.Faces.FaceBox Box, float Score, byte[] Thumbnail);

public sealed record ClusterReport(
    string Folder, Core.Services.CodeClustering Clustering, int Images,
    IReadOnlyList<IReadOnlyList<SheetFace>> Clusters, IReadOnlyList<SheetFace> Singletons,
    IReadOnlyList<string> NoFace, IReadOnlyList<ImageProblem> Errors);

/// <summary>
/// The clusters as one self-contained HTML page: every crop is a base64 JPEG data URI, styles are inline, nothing is
/// fetched, so the file can be mailed or archived as it is. Each cluster is a &lt;section class="cluster"&gt; with
/// data-size, each face a &lt;figure&gt; with data-image (the photo's path relative to the folder) for scripts.
/// </summary>
public static class ContactSheet
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
        h1{margin:0 0 4px}p.meta{color:#666;margin:0 0 24px}
        section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin:0 0 16px}
        h2{font-size:16px;margin:0 0 8px}h2 small{color:#666;font-weight:normal}
        .faces{display:flex;flex-wrap:wrap;gap:8px}
        figure{margin:0;width:128px;text-align:center}
        figure img{width:128px;height:128px;border-radius:6px;display:block}
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
        w.WriteLine("<!DOCTYPE html>");
        w.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        w.WriteLine($"<title>Face clusters: {Encode(report.Folder)}</title>");
        w.WriteLine($"<style>{Style}</style></head><body>");
        w.WriteLine($"<h1>Face clusters</h1>");
        w.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "<p class=\"meta\">{0} · {1} image(s) · {2} face(s) · {3} cluster(s) · {4} face(s) alone · {5} · {6:yyyy-MM-dd HH:mm} UTC</p>",
            Encode(report.Folder), report.Images, faces, report.Clusters.Count, report.Singletons.Count, Method(report.Clustering), DateTime.UtcNow));

        for (var c = 0; c < report.Clusters.Count; c++)
            WriteFaces(w, "cluster", $"Person {c + 1}", report.Clusters[c]);
        if (report.Singletons.Count > 0)
            WriteFaces(w, "singletons", "Faces like no other", report.Singletons);
        WriteList(w, "noface", "Images without a face", report.NoFace);
        WriteList(w, "errors", "Images that could not be read", report.Errors.Select(e => e.Message).ToList());
        w.WriteLine("</body></html>");
    }

    private static void WriteFaces(TextWriter w, string kind, string title, IReadOnlyList<SheetFace> faces)
    {
        w.WriteLine($"<section class=\"{kind}\" data-size=\"{faces.Count}\"><h2>{title} <small>{faces.Count} face(s)</small></h2><div class=\"faces\">");
        foreach (var face in faces)
        {
            var image = Encode(face.Image);
            w.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "<figure data-image=\"{0}\"><img alt=\"face in {0}\" title=\"{0} · score {1:0.00} · box {2:0},{3:0} {4:0}x{5:0}\" src=\"data:image/jpeg;base64,{6}\"><figcaption>{0}</figcaption></figure>",
                image, face.Score, face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height, Convert.ToBase64String(face.Thumbnail)));
        }
        w.WriteLine("</div></section>");
    }

    private static void WriteList(TextWriter w, string kind, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        w.WriteLine($"<section class=\"{kind}\" data-size=\"{items.Count}\"><h2>{title} <small>{items.Count}</small></h2><ul>");
        foreach (var item in items) w.WriteLine($"<li>{Encode(item)}</li>");
        w.WriteLine("</ul></section>");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
