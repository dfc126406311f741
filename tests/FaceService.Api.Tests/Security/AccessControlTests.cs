using FaceService.Core.Naming;
using System.Net;
using System.Net.Http.Json;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>
/// A key scoped to one collection tries every endpoint kind against another collection: it gets 403 (or 404 for a
/// face id, so ids do not leak) and the other collection is unchanged. No key or a bad key gets 401.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AccessControlTests(ApiFactory factory) : IAsyncLifetime
{
    private const string Own = "apitest-sec-own";
    private const string Other = "apitest-sec-other";
    private readonly HttpClient _admin = factory.CreateClient();
    private static readonly DevPhotos.Person Mine = DevPhotos.People[0];
    private static readonly DevPhotos.Person Theirs = DevPhotos.People[1];

    private string _otherFaceId = "";
    private string _ownFaceId = "";
    private HttpClient _reader = null!;
    private HttpClient _writer = null!;
    private HttpClient _ownAdmin = null!;

    public async Task InitializeAsync()
    {
        await factory.ResetCollectionAsync(Own);
        await factory.ResetCollectionAsync(Other);
        _ownFaceId = (string)(await _admin.EnrollOkAsync(Own, Mine.Name, Mine.Photos[0]))["faces"]![0]!["faceId"]!;
        _otherFaceId = (string)(await _admin.EnrollOkAsync(Other, Theirs.Name, Theirs.Photos[0]))["faces"]![0]!["faceId"]!;
        _reader = factory.ClientWithKey((await _admin.CreateKeyOkAsync("sec reader", ["read"], [Own])).Key);
        _writer = factory.ClientWithKey((await _admin.CreateKeyOkAsync("sec writer", ["write"], [Own])).Key);
        _ownAdmin = factory.ClientWithKey((await _admin.CreateKeyOkAsync("sec admin", ["admin"], [Own])).Key);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>One request of every endpoint kind aimed at <see cref="Other"/>, and the client (role) that sends it.</summary>
    private IEnumerable<(string Name, Func<Task<HttpResponseMessage>> Send)> CrossCollectionRequests() =>
    [
        ("enroll", () => _writer.EnrollAsync(Other, Theirs.Name, Theirs.Photos[0])),
        ("identify", () => _reader.PostAsync("/v1/identify", new Multipart().File("image", Theirs.Photos[0]).Field("collection", Other))),
        ("verify subject", () => _reader.PostAsync("/v1/verify",
            new Multipart().File("image1", Theirs.Photos[0]).Field("subject", Theirs.Name).Field("collection", Other))),
        ("cluster stored", () => _reader.PostAsJsonAsync("/v1/cluster", new { collection = Other })),
        ("list subjects", () => _reader.GetAsync($"/v1/subjects?collection={Other}")),
        ("get subject", () => _reader.GetAsync($"/v1/subjects/{Uri.EscapeDataString(Theirs.Name)}?collection={Other}")),
        ("subject faces", () => _reader.GetAsync($"/v1/subjects/{Uri.EscapeDataString(Theirs.Name)}/faces?collection={Other}")),
        ("erase subject", () => _writer.DeleteAsync($"/v1/subjects/{Uri.EscapeDataString(Theirs.Name)}?collection={Other}")),
        ("delete collection", () => _ownAdmin.DeleteAsync($"/v1/collections/{Other}")),
        ("audit", () => _ownAdmin.GetAsync($"/v1/audit?collection={Other}")),
        // No collection given means the default collection, which is not the key's either.
        ("default collection", () => _reader.GetAsync("/v1/subjects")),
    ];

    [Fact]
    public async Task A_scoped_key_is_forbidden_every_endpoint_of_another_collection_and_changes_nothing()
    {
        foreach (var (name, send) in CrossCollectionRequests())
        {
            var response = await send();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await response.ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }
        Assert.Equal(1, await factory.CountFacesAsync(Other));
        Assert.Single(await factory.Store.GetSubjectFacesAsync(CollectionName.Parse(Other), SubjectId.Parse(Theirs.Name)));
    }

    [Fact]
    public async Task Face_ids_of_another_collection_are_not_found_rather_than_forbidden()
    {
        await (await _writer.DeleteAsync($"/v1/faces/{_otherFaceId}")).ReadProblemAsync(HttpStatusCode.NotFound, "face_not_found");
        Assert.NotNull(await factory.Store.GetFaceAsync(Guid.Parse(_otherFaceId)));

        // Clustering the own collection by face ids: a foreign id is as unknown as a made-up one.
        var cluster = await _reader.PostAsJsonAsync("/v1/cluster", new { collection = Own, faceIds = new[] { _ownFaceId, _otherFaceId } });
        var problem = await cluster.ReadProblemAsync(HttpStatusCode.NotFound, "face_not_found");
        Assert.Contains(_otherFaceId, (string)problem["detail"]!);
    }

    [Fact]
    public async Task Listing_collections_shows_only_the_keys_collections()
    {
        var listed = (await (await _reader.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK))["collections"]!.AsArray()
            .Select(c => (string)c!["collection"]!).ToList();
        Assert.Equal([Own], listed);

        var all = (await (await _admin.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK))["collections"]!.AsArray()
            .Select(c => (string)c!["collection"]!).ToList();
        Assert.Contains(Own, all);
        Assert.Contains(Other, all);
    }

    [Fact]
    public async Task Roles_limit_what_a_key_does_in_its_own_collection()
    {
        // read: no enroll, no delete; write: no collection delete, no keys.
        await (await _reader.EnrollAsync(Own, Mine.Name, Mine.Photos[0])).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await _reader.DeleteAsync($"/v1/faces/{_ownFaceId}")).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await _writer.DeleteAsync($"/v1/collections/{Own}")).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await _writer.CreateKeyAsync("escalation", ["write"], [Own])).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await _writer.GetAsync("/v1/audit")).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(1, await factory.CountFacesAsync(Own));

        // What the roles do allow, in the own collection.
        var identified = await _reader.IdentifyOkAsync(Own, Mine.Photos[1]);
        Assert.Equal(Mine.Name, (string?)identified["faces"]![0]!["subject"]);
        await _reader.VerifyImagesOkAsync(Mine.Photos[0], Mine.Photos[1]);
        await _reader.DetectOkAsync(Mine.Photos[0]);
        await _writer.EnrollOkAsync(Own, Mine.Name, Mine.Photos[1]);
        Assert.Equal(2, await factory.CountFacesAsync(Own));
    }

    [Fact]
    public async Task Requests_without_a_valid_key_get_401_with_WWW_Authenticate()
    {
        var anonymous = factory.ClientWithKey(null);
        foreach (var client in new[] { anonymous, factory.ClientWithKey("fs_0123456789abcdef_" + new string('A', 43)), factory.ClientWithKey("not-a-key") })
        {
            foreach (var response in new[]
                     {
                         await client.GetAsync("/v1/collections"),
                         await client.PostAsync("/v1/detect", new Multipart().File("image", Mine.Photos[0])),
                         await client.EnrollAsync(Own, "intruder", Mine.Photos[0]),
                         await client.DeleteAsync($"/v1/faces/{_ownFaceId}"),
                         await client.GetAsync("/v1/keys"),
                     })
            {
                await response.ReadProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
                Assert.Contains("X-API-Key", response.Headers.WwwAuthenticate.ToString());
            }
        }
        Assert.Equal(1, await factory.CountFacesAsync(Own));

        // The same key as a bearer token is accepted.
        var bearer = factory.ClientWithKey(null);
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFactory.BootstrapAdminKey);
        await (await bearer.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Health_and_metrics_need_no_key()
    {
        var anonymous = factory.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);

        // The document is open too, and declares the key so that Swagger UI shows an Authorize button for X-API-Key.
        var document = await (await anonymous.GetAsync("/swagger/v1/swagger.json")).ReadAsync(HttpStatusCode.OK);
        var scheme = document["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal("apiKey", (string?)scheme["type"]);
        Assert.Equal("header", (string?)scheme["in"]);
        Assert.Equal("X-API-Key", (string?)scheme["name"]);
        Assert.NotNull(document["security"]![0]!["ApiKey"]);
    }
}
