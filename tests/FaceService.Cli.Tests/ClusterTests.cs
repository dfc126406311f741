using FaceService.Evaluation;
using System.Net;
using System.Text.RegularExpressions;
using SkiaSharp;

namespace FaceService.Cli.Tests;

public sealed partial class ClusterTests
{
    private static readonly string[] People = ["George_Clooney", "Mary_Carey", "Paul_Tagliabue"];

    [Fact]
    public async Task Cluster_writes_a_self_contained_contact_sheet_with_one_cluster_per_person()
    {
        using var folder = new PhotoFolder();
        // Neutral names in one folder, so nothing but the faces can tell the people apart.
        var personOf = new Dictionary<string, string>();
        var photos = People.SelectMany(p => TestEnvironment.People[p].Select(photo => (Person: p, Photo: photo))).ToList();
        for (var i = 0; i < photos.Count; i++)
        {
            var name = $"photo_{i:D2}.jpg";
            folder.Link($"unsorted/{name}", photos[i].Photo);
            personOf[$"unsorted/{name}"] = photos[i].Person;
        }
        folder.Link("unsorted/landscape.jpg", Path.Combine(DevPhotos.Directory, "_noface", "pilatus800.jpg"));
        var report = Path.Combine(folder.Path, "report.html");

        var (result, json) = await Cli.RunWithJsonAsync("cluster", folder.Path, "--out", report);

        var html = await File.ReadAllTextAsync(report);
        var clusters = ClusterSection().Matches(html)
            .Select(m => FigureImage().Matches(m.Groups[1].Value).Select(f => WebUtility.HtmlDecode(f.Groups[1].Value)).ToList())
            .ToList();
        // Pure and complete: each cluster is one person, and each person is one cluster.
        Assert.Equal(People.Length, clusters.Count);
        foreach (var cluster in clusters) Assert.Single(cluster.Select(image => personOf[image]).Distinct());
        Assert.Equal(People.OrderBy(p => p), clusters.Select(c => personOf[c[0]]).OrderBy(p => p));
        Assert.Equal(photos.Count, clusters.Sum(c => c.Count));
        Assert.DoesNotContain("class=\"singletons\"", html);
        Assert.Contains("<li>unsorted/landscape.jpg</li>", html);

        // The --json report says the same as the sheet.
        Assert.Equal(clusters.Select(c => c.Count), json.GetProperty("clusters").EnumerateArray().Select(c => c.GetArrayLength()));
        Assert.Equal(photos.Count, json.GetProperty("faces").GetInt32());
        Assert.Equal(["unsorted/landscape.jpg"], json.GetProperty("noFace").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(report, result.Out);

        // Self-contained: no reference outside the file, every crop an embedded JPEG of the thumbnail size.
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        var crops = DataUri().Matches(html).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
        // A photo may also hold a small face in the background (George_Clooney_0001 does): the sheet shows it apart,
        // among the faces left out for their quality.
        Assert.Equal(photos.Count + json.GetProperty("leftOut").GetArrayLength(), crops.Count);
        foreach (var crop in crops)
        {
            using var codec = SKCodec.Create(new SKMemoryStream(crop));
            Assert.Equal(SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
            Assert.Equal((FaceThumbnails.Size, FaceThumbnails.Size), (codec.Info.Width, codec.Info.Height));
        }
    }

    [Fact]
    public async Task A_threshold_below_every_distance_leaves_each_face_alone()
    {
        using var folder = new PhotoFolder();
        var george = TestEnvironment.People["George_Clooney"].Take(3).ToList();
        for (var i = 0; i < george.Count; i++) folder.Link($"g{i}.jpg", george[i]);

        var (_, json) = await Cli.RunWithJsonAsync("cluster", folder.Path, "--out", Path.Combine(folder.Path, "r.html"),
            "--threshold", "0.0001", "--linkage", "single");

        Assert.Equal(0, json.GetProperty("clusters").GetArrayLength());
        Assert.Equal(george.Count, json.GetProperty("singletons").GetArrayLength());
        Assert.Equal("single", json.GetProperty("linkage").GetString());
    }

    [Fact]
    public async Task A_blurred_face_is_left_out_and_shown_apart_unless_asked_for()
    {
        using var folder = new PhotoFolder();
        // Photos with one face each (George_Clooney_0001 and _0002 also hold a small, low-quality face in the background).
        var george = TestEnvironment.People["George_Clooney"].Skip(2).Take(3).ToList();
        for (var i = 0; i < george.Count; i++) folder.Link($"g{i}.jpg", george[i]);
        folder.Write("blurred.jpg", DegradedPhoto.Blurred(await File.ReadAllBytesAsync(george[0]), 4));
        var report = Path.Combine(folder.Path, "r.html");

        var (result, json) = await Cli.RunWithJsonAsync("cluster", folder.Path, "--out", report);

        Assert.Equal(["blurred.jpg"], json.GetProperty("leftOut").EnumerateArray().Select(f => f.GetProperty("image").GetString()));
        Assert.Equal(george.Count, json.GetProperty("faces").GetInt32());
        Assert.Contains("1 left out (quality below 0.5)", result.Out);
        Assert.Contains("<section class=\"leftout\"", await File.ReadAllTextAsync(report));

        var (_, all) = await Cli.RunWithJsonAsync("cluster", folder.Path, "--out", report, "--include-low-quality");
        Assert.Equal(0, all.GetProperty("leftOut").GetArrayLength());
        Assert.Equal(george.Count + 1, all.GetProperty("faces").GetInt32());
    }

    [GeneratedRegex("<section class=\"cluster\"[^>]*>(.*?)</section>", RegexOptions.Singleline)]
    private static partial Regex ClusterSection();

    [GeneratedRegex("<figure data-image=\"([^\"]*)\"")]
    private static partial Regex FigureImage();

    [GeneratedRegex("src=\"data:image/jpeg;base64,([^\"]+)\"")]
    private static partial Regex DataUri();
}
