using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ClusterTests(ApiFactory factory, ITestOutputHelper output)
{
    private const string Collection = "apitest-cluster";
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>
    /// Every labelled dev photo is enrolled under its person; clustering ignores the labels and they score it.
    /// Purity: the share of faces whose group's majority person is their own (singletons count as groups).
    /// </summary>
    [Fact]
    public async Task Stored_dev_set_faces_cluster_by_person()
    {
        await factory.ResetCollectionAsync(Collection);
        foreach (var person in DevPhotos.People)
            await _client.EnrollOkAsync(Collection, person.Name, person.Photos.ToArray());
        var faces = DevPhotos.People.Sum(p => p.Photos.Count);

        // By default: people. No cluster mixes two, and most people are one cluster.
        var people = await (await _client.PostAsJsonAsync("/v1/cluster", new { collection = Collection })).ReadAsync(HttpStatusCode.OK);
        Assert.Equal("people", (string?)people["method"]);
        Assert.Null(people["threshold"]);
        Assert.Null(people["linkage"]);
        var byPerson = Groups(people, f => (string)f["subject"]!);
        Assert.Equal(faces, byPerson.Sum(g => g.Count));
        Assert.All(people["clusters"]!.AsArray(), c => Assert.Single(c!["faces"]!.AsArray().Select(f => (string)f!["subject"]!).Distinct()));
        var whole = DevPhotos.People.Count(p => byPerson.Any(g => g.Count == p.Photos.Count && g.All(s => s == p.Name)));
        output.WriteLine($"End to end (API) cluster into people: {faces} faces of {DevPhotos.People.Count} people -> " +
                         $"{people["clusters"]!.AsArray().Count} clusters + {people["singletons"]!.AsArray().Count} singletons, {whole} people whole");
        Assert.True(whole >= DevPhotos.People.Count - 2, $"{whole} of {DevPhotos.People.Count} people in one cluster each");

        var purities = new Dictionary<string, double>();
        foreach (var linkage in new[] { "average", "complete", "single" })
        {
            var result = await (await _client.PostAsJsonAsync("/v1/cluster", new { collection = Collection, linkage })).ReadAsync(HttpStatusCode.OK);
            Assert.Equal("agglomerative", (string?)result["method"]);
            Assert.Equal(linkage, (string?)result["linkage"]);
            var groups = Groups(result, f => (string)f["subject"]!);
            Assert.Equal(faces, groups.Sum(g => g.Count));
            var purity = Purity(groups);
            purities[linkage] = purity;
            output.WriteLine($"End to end (API) cluster, {linkage} linkage at threshold {(float)result["threshold"]!}: {faces} faces of " +
                             $"{DevPhotos.People.Count} people -> {result["clusters"]!.AsArray().Count} clusters + " +
                             $"{result["singletons"]!.AsArray().Count} singletons ({groups.Count} groups), purity {purity:P1}");
        }
        Assert.True(purities["average"] >= 0.90, $"average-linkage purity {purities["average"]:P1} is below the 90% floor");

        // Only some stored faces: the ids given, nothing else.
        var subset = DevPhotos.People.Take(2).ToList();
        var ids = new List<string>();
        foreach (var person in subset)
        {
            var stored = await (await _client.GetAsync($"/v1/subjects/{person.Name}/faces?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
            ids.AddRange(stored["faces"]!.AsArray().Select(f => (string)f!["faceId"]!));
        }
        var partial = await (await _client.PostAsJsonAsync("/v1/cluster", new { collection = Collection, faceIds = ids })).ReadAsync(HttpStatusCode.OK);
        var clustered = partial["clusters"]!.AsArray().SelectMany(c => c!["faces"]!.AsArray()).Concat(partial["singletons"]!.AsArray())
            .Select(f => (string)f!["faceId"]!).Order();
        Assert.Equal(ids.Order(), clustered);
    }

    [Fact]
    public async Task Uploaded_photos_are_clustered_face_by_face()
    {
        var people = DevPhotos.People.Where(p => p.Photos.Count >= 3).Take(4).ToList();
        var form = new Multipart();
        var labels = new List<string>();
        foreach (var person in people)
        foreach (var photo in person.Photos.Take(3))
        {
            form.File("image", photo);
            labels.Add(person.Name);
        }
        var result = await (await _client.PostAsync("/v1/cluster", form)).ReadAsync(HttpStatusCode.OK);
        Assert.Equal("people", (string?)result["method"]);

        // Each face names the upload it came from (image[i] is the i-th file). A photo's labelled person is its
        // largest face; other faces (people in the background) have no label and are left out of the score.
        var all = result["clusters"]!.AsArray().SelectMany(c => c!["faces"]!.AsArray()).Concat(result["singletons"]!.AsArray()).ToList();
        Assert.All(all, f =>
        {
            Assert.NotNull(f!["box"]);
            Assert.NotNull(f["score"]);
            Assert.Null(f["faceId"]);
        });
        var labelled = all.GroupBy(f => (string)f!["image"]!)
            .Select(g => g.MaxBy(f => (float)f!["box"]!["width"]! * (float)f["box"]!["height"]!)!)
            .ToHashSet<JsonNode?>();
        Assert.Equal(labels.Count, labelled.Count);
        var groups = result["clusters"]!.AsArray().Select(c => c!["faces"]!.AsArray().Where(labelled.Contains).ToList())
            .Concat(result["singletons"]!.AsArray().Where(labelled.Contains).Select(f => new List<JsonNode?> { f }))
            .Where(g => g.Count > 0)
            .Select(g => g.Select(f => labels[int.Parse(((string)f!["image"]!)[6..^1])]).ToList())
            .ToList();
        var purity = Purity(groups);
        output.WriteLine($"Uploaded: {labels.Count} photos of {people.Count} people -> {groups.Count} groups, purity {purity:P1}");
        Assert.True(purity >= 0.90, $"purity {purity:P1} is below the 90% floor");
    }

    /// <summary>
    /// A group photo of two people uploaded with their own photos: its two faces never share a cluster (whichever the
    /// method), and each joins its person.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("single")]
    public async Task Faces_of_one_uploaded_photo_never_share_a_cluster(string? linkage)
    {
        var form = new Multipart().File("image", DevPhotos.Group("kit_with_rose.jpg"));
        foreach (var name in new[] { "Kit_Harington", "Rose_Leslie" })
            foreach (var photo in DevPhotos.People.Single(p => p.Name == name).Photos) form.File("image", photo);
        // Single linkage at a loose cut chains everyone it can: only the photo keeps its two faces apart.
        if (linkage is not null) form.Field("linkage", linkage).Field("threshold", "0.5");
        var result = await (await _client.PostAsync("/v1/cluster", form)).ReadAsync(HttpStatusCode.OK);

        foreach (var cluster in result["clusters"]!.AsArray())
            Assert.True(cluster!["faces"]!.AsArray().Count(f => (string?)f!["image"] == "image[0]") <= 1,
                $"two faces of the group photo in one cluster: {cluster.ToJsonString()}");
        var groupFaces = result["clusters"]!.AsArray().SelectMany(c => c!["faces"]!.AsArray()).Concat(result["singletons"]!.AsArray())
            .Count(f => (string?)f!["image"] == "image[0]");
        Assert.Equal(2, groupFaces);
        if (linkage is null)
            Assert.Equal(2, result["clusters"]!.AsArray().Count(c => c!["faces"]!.AsArray().Any(f => (string?)f!["image"] == "image[0]")));
    }

    /// <summary>Clusters and singletons as groups of labels.</summary>
    private static List<List<string>> Groups(JsonNode result, Func<JsonNode, string> label) =>
        result["clusters"]!.AsArray().Select(c => c!["faces"]!.AsArray().Select(f => label(f!)).ToList())
            .Concat(result["singletons"]!.AsArray().Select(f => new List<string> { label(f!) }))
            .ToList();

    private static double Purity(List<List<string>> groups) =>
        (double)groups.Sum(g => g.GroupBy(x => x).Max(x => x.Count())) / groups.Sum(g => g.Count);
}
