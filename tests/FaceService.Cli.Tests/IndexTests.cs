using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FaceService.Core.Naming;

namespace FaceService.Cli.Tests;

/// <summary>
/// A small photo library indexed once into a collection of its own: three people's photos under neutral names in two
/// album folders, a group photo, a photo without a face and a file that is not an image.
/// </summary>
public sealed class IndexedLibrary : IAsyncLifetime
{
    public static readonly string[] People = ["George_Clooney", "Mary_Carey", "Kit_Harington"];
    public const string GroupPhoto = "group/kit_with_rose.jpg";
    public const string BrokenFile = "albums/broken.jpg";

    public PhotoFolder Folder { get; } = new();
    public string Collection { get; } = "cli-index-" + Guid.NewGuid().ToString("N");

    /// <summary>Each person's photos by their names in the library.</summary>
    public IReadOnlyDictionary<string, string> PersonOf { get; private set; } = null!;
    public int Photos { get; private set; }
    public Cli.Result FirstRun { get; private set; } = null!;
    public JsonElement FirstSummary { get; private set; }

    public async Task InitializeAsync()
    {
        var personOf = new Dictionary<string, string>();
        var photos = People.SelectMany(p => TestEnvironment.People[p].Select(photo => (Person: p, Photo: photo))).ToList();
        for (var i = 0; i < photos.Count; i++)
        {
            var name = $"albums/{i % 2}/photo_{i:D2}.jpg";
            Folder.Link(name, photos[i].Photo);
            personOf[name] = photos[i].Person;
        }
        PersonOf = personOf;
        Folder.Link(GroupPhoto, DevPhotos.Resolve(GroupPhoto.Replace("group/", "_group/")));
        Folder.Link("albums/landscape.jpg", DevPhotos.Resolve("_noface/pilatus800.jpg"));
        Folder.Write(BrokenFile, "not a jpeg"u8.ToArray());
        Photos = photos.Count + 3;

        (FirstRun, FirstSummary) = await Cli.RunWithJsonAsync("index", Folder.Path, "--collection", Collection);
    }

    public async Task DisposeAsync()
    {
        var (dataSource, store) = TestEnvironment.OpenStore();
        await using (dataSource) await store.DeleteCollectionAsync(CollectionName.Parse(Collection));
        Folder.Dispose();
    }
}

public sealed partial class IndexTests(IndexedLibrary library) : IClassFixture<IndexedLibrary>
{
    [Fact]
    public void Index_stores_every_face_of_every_photo_and_reports_the_unreadable_file()
    {
        var summary = library.FirstSummary;
        Assert.Equal(library.Collection, summary.GetProperty("collection").GetString());
        Assert.Equal(library.Photos, summary.GetProperty("photos").GetInt32());
        Assert.Equal(library.Photos - 1, summary.GetProperty("indexed").GetInt32());
        Assert.Equal(1, summary.GetProperty("noFace").GetInt32());
        Assert.Equal(0, summary.GetProperty("alreadyIndexed").GetInt32());
        // Every face of the group photo is counted, stored or refused: more faces than photos with a face.
        var faces = summary.GetProperty("facesStored").GetInt32() + summary.GetProperty("facesRefused").GetInt32();
        Assert.True(faces > library.Photos - 2, $"{faces} face(s)");
        Assert.Equal(summary.GetProperty("facesRefused").GetInt32() > 0, summary.GetProperty("refusedByReason").EnumerateObject().Any());
        Assert.True(summary.GetProperty("clustersOfTwoOrMore").GetInt64() >= IndexedLibrary.People.Length);
        Assert.True(summary.GetProperty("photosPerSecond").GetDouble() > 0);
        // Faces joined clusters one at a time; the run ends with all of them clustered at once.
        var stored = summary.GetProperty("facesStored").GetInt32();
        Assert.Equal(stored, summary.GetProperty("recluster").GetProperty("faces").GetInt32());
        Assert.Contains($"reclustered      {stored} faces in ", library.FirstRun.Out);

        var problem = Assert.Single(summary.GetProperty("problems").EnumerateArray());
        Assert.Equal(IndexedLibrary.BrokenFile, problem.GetProperty("path").GetString());
        Assert.Equal(1, summary.GetProperty("errors").GetInt32());
        Assert.Contains(IndexedLibrary.BrokenFile, library.FirstRun.Out);
        Assert.Contains($"faces stored     {summary.GetProperty("facesStored").GetInt32()}", library.FirstRun.Out);
        Assert.Contains("index ", library.FirstRun.Out);
        Assert.Contains(" img/s · ", library.FirstRun.Out);
    }

    [Fact]
    public async Task Indexing_again_skips_every_indexed_photo_before_running_the_models()
    {
        var (result, summary) = await Cli.RunWithJsonAsync("index", library.Folder.Path, "--collection", library.Collection);

        Assert.Equal(library.Photos - 1, summary.GetProperty("alreadyIndexed").GetInt32());
        Assert.Equal(0, summary.GetProperty("indexed").GetInt32());
        Assert.Equal(0, summary.GetProperty("facesStored").GetInt32());
        // The unreadable file was never indexed, so it is tried (and reported) again.
        Assert.Equal(1, summary.GetProperty("errors").GetInt32());
        Assert.Equal(library.FirstSummary.GetProperty("clusters").GetInt64(), summary.GetProperty("clusters").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, summary.GetProperty("recluster").ValueKind);
        Assert.Contains($"already indexed  {library.Photos - 1} (skipped)", result.Out);
    }

    [Fact]
    public async Task People_writes_the_clusters_largest_first_with_the_photo_of_each_face()
    {
        var report = Path.Combine(library.Folder.Path, "people.html");

        var (result, json) = await Cli.RunWithJsonAsync("people", "--collection", library.Collection, "--photos", library.Folder.Path, "--out", report);

        var html = await File.ReadAllTextAsync(report);
        var clusters = json.GetProperty("clusters").EnumerateArray().ToList();
        Assert.True(clusters.Count >= IndexedLibrary.People.Length);
        var sizes = clusters.Select(c => c.GetProperty("faces").GetInt32()).ToList();
        Assert.Equal(sizes.OrderDescending(), sizes);
        Assert.All(sizes, size => Assert.True(size >= PeopleCommand.DefaultMinFaces));

        // One section per cluster, in the listing's order, with its id, size and version, and the photo of each face.
        var sections = ClusterSection().Matches(html).ToList();
        Assert.Equal(clusters.Select(c => c.GetProperty("id").GetString()), sections.Select(s => s.Groups["id"].Value));
        for (var i = 0; i < clusters.Count; i++)
        {
            Assert.Contains($"Cluster {clusters[i].GetProperty("id").GetString()} <small>{sizes[i]} face(s) · version {clusters[i].GetProperty("version").GetInt32()}",
                WebUtility.HtmlDecode(sections[i].Value));
            var images = FigureImage().Matches(sections[i].Value).Select(f => WebUtility.HtmlDecode(f.Groups[1].Value)).ToList();
            Assert.Equal(clusters[i].GetProperty("sources").EnumerateArray().Select(s => s.GetString()), images);
            Assert.All(images, image => Assert.True(File.Exists(Path.Combine(library.Folder.Path, image)), image));
        }
        // The largest cluster is one person's (the group photo aside), every face cut from its photo.
        var largest = FigureImage().Matches(sections[0].Value).Select(f => WebUtility.HtmlDecode(f.Groups[1].Value)).ToList();
        Assert.Single(largest.Where(library.PersonOf.ContainsKey).Select(image => library.PersonOf[image]).Distinct());
        Assert.All(FigureImage().Matches(html), figure => Assert.True(figure.Groups["crop"].Success, figure.Value));
        Assert.Equal(clusters.Sum(c => c.GetProperty("sources").GetArrayLength()), FigureImage().Matches(html).Count);
        Assert.DoesNotContain("class=\"tile\"", html);
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        Assert.Contains(report, result.Out);
    }

    [Fact]
    public async Task A_photo_not_under_the_photo_folder_is_a_tile_with_its_name()
    {
        using var elsewhere = new PhotoFolder();
        var report = Path.Combine(elsewhere.Path, "people.html");

        var (_, json) = await Cli.RunWithJsonAsync("people", "--collection", library.Collection, "--photos", elsewhere.Path, "--out", report,
            "--min-faces", "1");

        var html = await File.ReadAllTextAsync(report);
        Assert.DoesNotContain("data:image/jpeg", html);
        Assert.Contains("<div class=\"tile\" title=\"", html);
        Assert.Contains(">photo not found</div><figcaption>", html);
        var missing = json.GetProperty("missingPhotos").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Contains($"{IndexedLibrary.GroupPhoto}: photo not found", missing);
        Assert.Contains($"<li>{IndexedLibrary.GroupPhoto}: photo not found</li>", html);
    }

    [Fact]
    public async Task Named_subjects_follow_the_clusters_with_named()
    {
        using var folder = new PhotoFolder();
        var photos = TestEnvironment.People["Paul_Tagliabue"];
        foreach (var photo in photos) folder.Link($"Paul_Tagliabue/{Path.GetFileName(photo)}", photo);
        var (_, imported) = await Cli.RunWithJsonAsync("import", folder.Path, "--collection", library.Collection);
        var report = Path.Combine(folder.Path, "people.html");

        var (_, json) = await Cli.RunWithJsonAsync("people", "--collection", library.Collection, "--photos", library.Folder.Path, "--out", report, "--named");

        var subject = Assert.Single(json.GetProperty("subjects").EnumerateArray());
        Assert.Equal("Paul_Tagliabue", subject.GetProperty("id").GetString());
        Assert.Equal(imported.GetProperty("facesEnrolled").GetInt32(), subject.GetProperty("faces").GetInt32());
        var html = await File.ReadAllTextAsync(report);
        // After the clusters; import names no photo, so its faces are tiles.
        Assert.True(html.IndexOf("<section class=\"subject\" data-id=\"Paul_Tagliabue\"", StringComparison.Ordinal)
                    > html.LastIndexOf("<section class=\"cluster\"", StringComparison.Ordinal));
        Assert.Contains(">no photo name stored</div>", html);
    }

    [GeneratedRegex("<section class=\"cluster\" data-id=\"(?<id>[0-9]+)\"[^>]*>.*?</section>", RegexOptions.Singleline)]
    private static partial Regex ClusterSection();

    // A face on the sheet: its photo, and whether it is a crop (an embedded JPEG) rather than a tile.
    [GeneratedRegex("<figure data-image=\"([^\"]*)\">(?<crop><img [^>]*src=\"data:image/jpeg;base64,)?")]
    private static partial Regex FigureImage();
}

public sealed class IndexArgumentTests
{
    private static readonly string Folder = DevPhotos.Directory;

    public static TheoryData<string[]> BadCommandLines => new(
        ["index"],
        ["index", "/no/such/folder"],
        ["index", Folder, "extra"],
        ["index", Folder, "--min-quality", "1.5"],
        ["index", Folder, "--min-quality", "high"],
        ["index", Folder, "--collection", "not a name!"],
        ["index", Folder, "--concurrency", "0"],
        ["people", "extra"],
        ["people", "--min-faces", "0"],
        ["people", "--min-faces", "many"],
        ["people", "--photos", "/no/such/folder"],
        ["people", "--named=yes"],
        ["people", "--collection", "not a name!"],
        ["people", "--out"]);

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task A_bad_command_line_exits_with_2_and_the_commands_usage(string[] args)
    {
        // Exit 2, the error, the usage on stderr and nothing on stdout, as for every command,
        await new ArgumentTests().A_bad_command_line_exits_with_2_and_the_usage(args);
        // and the usage is the command's own.
        Assert.Contains($"faceservice {args[0]} ", (await Cli.RunAsync(args)).Error);
    }
}
