using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

/// <summary>
/// People end to end through HTTP on the dev photos: a folder indexed without names → clusters → one named → a new photo
/// of that person identified by the name; corrections (rename, merge, move), recluster jobs, erasure, and the bad
/// requests that must change nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PeopleTests(ApiFactory factory, ITestOutputHelper output)
{
    private const string Collection = "apitest-people";
    private readonly HttpClient _client = factory.CreateClient();

    // Three people with three photos or more: each keeps one photo back, to be identified after naming.
    private static readonly IReadOnlyList<DevPhotos.Person> Named = DevPhotos.People.Where(p => p.Photos.Count >= 3).Take(3).ToList();

    private static IEnumerable<string> IndexedPhotos =>
        DevPhotos.People.SelectMany(p => Named.Contains(p) ? p.Photos.Skip(1) : p.Photos)
            .Concat(DevPhotos.Manifest.Where(m => m.Person.StartsWith('_')).Select(m => DevPhotos.Resolve(m.Path)));

    [Fact]
    public async Task A_folder_indexed_clustered_and_named_identifies_the_person_in_a_new_photo()
    {
        await factory.ResetCollectionAsync(Collection);
        var photos = IndexedPhotos.ToList();
        var faces = new List<JsonNode>();
        foreach (var batch in photos.Chunk(6))
        {
            var indexed = await IndexAsync(batch);
            Assert.Equal(batch.Length, indexed["images"]!.AsArray().Count);
            faces.AddRange(indexed["images"]!.AsArray().SelectMany(i => i!["faces"]!.AsArray()).Select(f => f!));
        }
        output.WriteLine($"Indexed {photos.Count} dev photos: {faces.Count} faces");
        Assert.All(faces, f => Assert.Null(f["subject"]));
        Assert.All(faces, f => Assert.NotNull(f["clusterId"]));
        Assert.All(faces, f => Assert.True((float)f["quality"]! >= 0.5f));
        // A person is never twice in one picture.
        Assert.All(faces.GroupBy(f => (long)f["clusterId"]!), c => Assert.Equal(c.Count(), c.Select(f => (string)f["imageSha256"]!).Distinct().Count()));

        // A hostile file name (control characters, 3,000 characters) is stored cleaned and cut, not refused.
        var longName = new string('x', 3000) + "\u0001.jpg";
        var hostile = await (await _client.PostAsync("/v1/index", new Multipart().Field("collection", Collection + "-names")
            .Bytes("image", DevPhotos.Read(photos[1]), longName))).ReadAsync(HttpStatusCode.Created);
        var source = (string)hostile["images"]![0]!["faces"]![0]!["source"]!;
        Assert.Equal(1024, source.Length);
        Assert.EndsWith("x.jpg", source);
        await factory.ResetCollectionAsync(Collection + "-names");

        // The same photo again: nothing new.
        var again = await IndexAsync([photos[0]]);
        Assert.True((bool)again["images"]![0]!["alreadyIndexed"]!);
        Assert.Equal(faces.Count, await factory.CountFacesAsync(Collection));

        var incremental = await GetOkAsync($"/v1/people/clusters?collection={Collection}&pageSize=100");
        output.WriteLine($"As indexed: {incremental["total"]} clusters of two faces or more");
        // Faces joined clusters one at a time; a recluster groups them all at once.
        var job = await ReclusterAsync(Collection);
        output.WriteLine($"Recluster: {job["faces"]} faces → {job["clusters"]} clusters of two or more, {job["facesMoved"]} faces moved");

        var listing = await GetOkAsync($"/v1/people/clusters?collection={Collection}&minFaces=1&pageSize=200&sample=50");
        var clusters = listing["items"]!.AsArray().Select(c => c!).ToList();
        Assert.Equal(faces.Count, (long)listing["unnamedFaces"]!);
        Assert.Equal(faces.Count, clusters.Sum(c => (int)c["faces"]!));
        Assert.Equal(clusters.Select(c => (int)c["faces"]!).OrderDescending(), clusters.Select(c => (int)c["faces"]!));

        // The cluster that holds the first named person's photos: named once, by the version seen.
        var person = Named[0];
        var cluster = clusters.First(c => c["sample"]!.AsArray().Any(f => SourceOf(f!) == Path.GetFileName(person.Photos[1])));
        var members = cluster["sample"]!.AsArray().Select(f => SourceOf(f!)).ToList();
        Assert.All(members, m => Assert.Contains(m, person.Photos.Select(Path.GetFileName)));
        var clusterId = (long)cluster["clusterId"]!;
        var version = (int)cluster["version"]!;

        var named = await (await _client.PostAsJsonAsync($"/v1/people/clusters/{clusterId}/name?collection={Collection}",
            new { subject = "kit", version })).ReadAsync(HttpStatusCode.OK);
        Assert.Equal((int)cluster["faces"]!, (int)named["faces"]!);
        await (await _client.GetAsync($"/v1/people/clusters/{clusterId}?collection={Collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "cluster_not_found");

        // The photo held back is identified by the name.
        var identified = await _client.IdentifyOkAsync(Collection, person.Photos[0]);
        Assert.Equal("kit", (string?)identified["faces"]![0]!["subject"]);
        Assert.True((float)identified["faces"]![0]!["quality"]!["score"]! >= 0.5f);
        output.WriteLine($"Named cluster {clusterId} ({members.Count} faces) 'kit'; the held-back photo is identified as " +
                         $"{identified["faces"]![0]!["subject"]} (stranger rate {identified["faces"]![0]!["candidates"]![0]!["falsePositiveIdentificationRate"]})");

        // Corrections: rename, then merge another named cluster in, then move one face back to the unnamed faces.
        await (await _client.PostAsJsonAsync($"/v1/subjects/kit/rename?collection={Collection}", new { name = "kit-h" })).ReadAsync(HttpStatusCode.OK);
        Assert.Equal("kit-h", (string?)(await _client.IdentifyOkAsync(Collection, person.Photos[0]))["faces"]![0]!["subject"]);
        var second = clusters.First(c => (long)c["clusterId"]! != clusterId);
        await (await _client.PostAsJsonAsync($"/v1/people/clusters/{(long)second["clusterId"]!}/name?collection={Collection}",
            new { subject = "someone" })).ReadAsync(HttpStatusCode.OK);
        var merged = await (await _client.PostAsJsonAsync($"/v1/subjects/someone/merge?collection={Collection}", new { into = "kit-h" })).ReadAsync(HttpStatusCode.OK);
        Assert.Equal((int)second["faces"]!, (int)merged["faces"]!);
        var subjectFaces = await GetOkAsync($"/v1/subjects/kit-h/faces?collection={Collection}");
        var moved = (string)subjectFaces["faces"]![0]!["faceId"]!;
        var unnamed = await (await _client.PutAsJsonAsync($"/v1/faces/{moved}/subject?collection={Collection}", new { subject = (string?)null }))
            .ReadAsync(HttpStatusCode.OK);
        Assert.Null(unnamed["subject"]);
        Assert.NotNull(unnamed["clusterId"]);
        var back = await (await _client.PutAsJsonAsync($"/v1/faces/{moved}/subject?collection={Collection}", new { subject = "kit-h" })).ReadAsync(HttpStatusCode.OK);
        Assert.Equal("kit-h", (string?)back["subject"]);

        // Every change is audited, with the name the faces came from.
        var audit = await GetOkAsync($"/v1/audit?collection={Collection}&limit=20");
        var actions = audit["records"]!.AsArray().Select(r => (string)r!["action"]!).ToList();
        Assert.Contains("index", actions);
        Assert.Contains("name_cluster", actions);
        var rename = audit["records"]!.AsArray().First(r => (string)r!["action"]! == "rename_subject")!;
        Assert.Equal(("kit", "kit-h"), ((string?)rename["fromSubject"], (string?)rename["subject"]));
        Assert.Contains("merge_subjects", actions);
        Assert.Contains("move_face", actions);

        // Erasing the subject removes its template: the held-back photo matches no one now.
        await (await _client.DeleteAsync($"/v1/subjects/kit-h?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Null((string?)(await _client.IdentifyOkAsync(Collection, person.Photos[0]))["faces"]![0]!["subject"]);

        // Erasing a cluster removes its faces.
        var third = (await GetOkAsync($"/v1/people/clusters?collection={Collection}"))["items"]![0]!;
        var erased = await (await _client.DeleteAsync($"/v1/people/clusters/{(long)third["clusterId"]!}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal((int)third["faces"]!, (int)erased["deletedFaces"]!);
    }

    [Fact]
    public async Task Bad_people_requests_get_a_problem_and_change_nothing()
    {
        const string collection = "apitest-people-bad";
        await factory.ResetCollectionAsync(collection);
        await factory.ResetCollectionAsync(collection + "-other");
        var person = Named[1];
        await IndexAsync([.. person.Photos], collection);
        await _client.EnrollOkAsync(collection, "ann", Named[2].Photos[0]);
        await _client.EnrollOkAsync(collection, "bob", Named[2].Photos[1]);
        var otherFace = (string)(await _client.EnrollOkAsync(collection + "-other", "zed", Named[2].Photos[2]))["faces"]![0]!["faceId"]!;
        var group = await IndexAsync([DevPhotos.Group("kit_with_rose.jpg")], collection);
        var groupFaces = group["images"]![0]!["faces"]!.AsArray().Select(f => (string)f!["faceId"]!).ToList();
        await (await _client.PutAsJsonAsync($"/v1/faces/{groupFaces[0]}/subject?collection={collection}", new { subject = "grp" })).ReadAsync(HttpStatusCode.OK);
        var cluster = (await GetOkAsync($"/v1/people/clusters?collection={collection}"))["items"]![0]!;
        var clusterId = (long)cluster["clusterId"]!;
        var before = await StateAsync(collection);

        // A second face of one photo for one subject.
        await (await _client.PutAsJsonAsync($"/v1/faces/{groupFaces[1]}/subject?collection={collection}", new { subject = "grp" }))
            .ReadProblemAsync(HttpStatusCode.Conflict, "photo_conflict");
        // A cluster that changed since it was looked at.
        (await (await _client.PostAsJsonAsync($"/v1/people/clusters/{clusterId}/name?collection={collection}",
            new { subject = "kit", version = (int)cluster["version"]! - 1 })).ReadProblemAsync(HttpStatusCode.Conflict, "cluster_changed")).ToString();
        // A subject merged into itself; into a subject that does not exist; renamed onto an existing one.
        await (await _client.PostAsJsonAsync($"/v1/subjects/ann/merge?collection={collection}", new { into = "ann" })).ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await _client.PostAsJsonAsync($"/v1/subjects/ann/merge?collection={collection}", new { into = "nobody" })).ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
        await (await _client.PostAsJsonAsync($"/v1/subjects/ann/rename?collection={collection}", new { name = "bob" })).ReadProblemAsync(HttpStatusCode.Conflict, "subject_exists");
        // A face of another collection.
        await (await _client.PutAsJsonAsync($"/v1/faces/{otherFace}/subject?collection={collection}", new { subject = "ann" })).ReadProblemAsync(HttpStatusCode.NotFound, "face_not_found");
        // Clusters and jobs that are not there; a minQuality out of range; a subject id that is not one.
        await (await _client.PostAsJsonAsync($"/v1/people/clusters/999999999/name?collection={collection}", new { subject = "kit" })).ReadProblemAsync(HttpStatusCode.NotFound, "cluster_not_found");
        await (await _client.GetAsync($"/v1/people/jobs/{Guid.NewGuid()}?collection={collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        var form = new Multipart().File("image", person.Photos[0]).Field("collection", collection).Field("minQuality", "1.5");
        await (await _client.PostAsync("/v1/index", form)).ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await _client.PostAsJsonAsync($"/v1/people/clusters/{clusterId}/name?collection={collection}", new { subject = " padded " })).ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(before, await StateAsync(collection));
    }

    [Fact]
    public async Task A_recluster_job_runs_in_the_background_and_keeps_clusters_apart_by_photo()
    {
        const string collection = "apitest-people-jobs";
        await factory.ResetCollectionAsync(collection);
        foreach (var batch in IndexedPhotos.Take(30).Chunk(6)) await IndexAsync(batch, collection);

        var job = await ReclusterAsync(collection);
        Assert.Equal(1f, (float)job["progress"]!);
        Assert.Equal(await factory.CountFacesAsync(collection), (int)job["faces"]!);
        Assert.Equal(0, (int)job["facesLeftOut"]!);
        output.WriteLine($"Recluster: {job["faces"]} faces → {job["clusters"]} clusters, {job["facesMoved"]} faces moved");

        var listing = await GetOkAsync($"/v1/people/clusters?collection={collection}&minFaces=1&pageSize=500&sample=50");
        Assert.All(listing["items"]!.AsArray(), c =>
            Assert.Equal(c!["sample"]!.AsArray().Count, c["sample"]!.AsArray().Select(f => (string)f!["imageSha256"]!).Distinct().Count()));

        // A job cancelled before it runs ends cancelled; another collection does not see it.
        var second = await (await _client.PostAsync($"/v1/people/recluster?collection={collection}", null)).ReadAsync(HttpStatusCode.Accepted);
        var cancelled = await (await _client.DeleteAsync($"/v1/people/jobs/{second["jobId"]}?collection={collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.True((string)cancelled["state"]! == "cancelled" || (bool)cancelled["cancelRequested"]!);
        await (await _client.GetAsync($"/v1/people/jobs/{second["jobId"]}?collection=default")).ReadProblemAsync(HttpStatusCode.NotFound, "job_not_found");
    }

    [Fact]
    public async Task A_collection_that_grew_is_reclustered_without_being_asked()
    {
        const string collection = "apitest-people-auto";
        await factory.ResetCollectionAsync(collection);
        await using var auto = new AutoReclusterFactory();
        var client = auto.CreateClient();
        var photos = IndexedPhotos.Take(16).ToList();

        // 8 faces or more: the first recluster is queued by index itself, and run in the background.
        foreach (var batch in photos.Chunk(4)) await IndexAsync(batch, collection, client);
        JsonNode[] jobs;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(200);
            jobs = [.. (await (await client.GetAsync($"/v1/people/jobs?collection={collection}")).ReadAsync(HttpStatusCode.OK))["jobs"]!.AsArray().Select(j => j!)];
        } while (!jobs.Any(j => (string)j["state"]! == "succeeded") && clock.Elapsed < TimeSpan.FromSeconds(60));
        var done = jobs.First(j => (string)j["state"]! == "succeeded");
        Assert.Equal("auto", (string?)done["requestedBy"]);
        output.WriteLine($"Queued by index: {jobs.Length} job(s); the first reclustered {done["faces"]} faces");

        // Without growth since, indexing again queues nothing.
        var before = jobs.Length;
        await IndexAsync([photos[0]], collection, client);
        var after = (await (await client.GetAsync($"/v1/people/jobs?collection={collection}")).ReadAsync(HttpStatusCode.OK))["jobs"]!.AsArray().Count;
        Assert.Equal(before, after);
    }

    /// <summary>The service with automatic reclusters on, after 8 new faces and a quarter of growth.</summary>
    private sealed class AutoReclusterFactory : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["People:AutoRecluster"] = "true",
            ["People:AutoReclusterMinNewFaces"] = "8",
        };
    }

    private async Task<JsonNode> IndexAsync(IReadOnlyList<string> photos, string collection = Collection, HttpClient? client = null)
    {
        var form = new Multipart().Field("collection", collection);
        foreach (var photo in photos) form.File("image", photo);
        return await (await (client ?? _client).PostAsync("/v1/index", form)).ReadAsync(HttpStatusCode.Created);
    }

    /// <summary>Queues a recluster and waits for it to succeed.</summary>
    private async Task<JsonNode> ReclusterAsync(string collection)
    {
        var queued = await (await _client.PostAsync($"/v1/people/recluster?collection={collection}", null)).ReadAsync(HttpStatusCode.Accepted);
        JsonNode job;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(200);
            job = await GetOkAsync($"/v1/people/jobs/{queued["jobId"]}?collection={collection}");
        } while ((string)job["state"]! is "queued" or "running" && clock.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", (string?)job["state"]);
        return job;
    }

    private async Task<JsonNode> GetOkAsync(string url) => await (await _client.GetAsync(url)).ReadAsync(HttpStatusCode.OK);

    private static string SourceOf(JsonNode face) => (string)face["source"]!;

    /// <summary>Every face of the collection with its subject and cluster, and the subjects: what a refused request must leave as it was.</summary>
    private async Task<string> StateAsync(string collection)
    {
        var clusters = await GetOkAsync($"/v1/people/clusters?collection={collection}&minFaces=1&pageSize=500&sample=500");
        var subjects = await GetOkAsync($"/v1/subjects?collection={collection}");
        return clusters["items"]!.ToJsonString() + subjects["items"]!.ToJsonString();
    }
}
