using System.Net;
using System.Security.Cryptography;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class EnrollTests(ApiFactory factory)
{
    private const string Collection = "apitest-enroll";
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Enrolling_the_same_bytes_again_returns_the_same_face_and_stores_no_duplicate()
    {
        await factory.ResetCollectionAsync(Collection);
        var person = DevPhotos.People.First(p => p.Photos.Count >= 2);
        var (a, b) = (person.Photos[0], person.Photos[1]);

        var response = await _client.EnrollAsync(Collection, person.Name, a);
        var first = await response.ReadAsync(HttpStatusCode.Created);
        Assert.Equal($"/v1/subjects/{person.Name}", response.Headers.Location?.AbsolutePath);
        var face = first["faces"]![0]!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(a))), (string)face["imageSha256"]!);
        Assert.Equal("image[0]", (string)face["image"]!);
        Assert.Equal(Path.GetFileName(a), (string)face["fileName"]!);
        Assert.True((float)face["box"]!["width"]! > 0 && (float)face["score"]! > 0.5f);

        var again = await _client.EnrollOkAsync(Collection, person.Name, a);
        Assert.Equal((string)face["faceId"]!, (string)again["faces"]![0]!["faceId"]!);
        Assert.Equal(1, await factory.CountFacesAsync(Collection));

        // A repeated file in one request, next to a new one: one face for the repeat, one new face.
        var mixed = await _client.EnrollOkAsync(Collection, person.Name, a, b, a);
        var ids = mixed["faces"]!.AsArray().Select(f => (string)f!["faceId"]!).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Equal((string)face["faceId"]!, ids[0]);
        Assert.Equal(ids[0], ids[2]);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal(2, await factory.CountFacesAsync(Collection));
    }

    [Fact]
    public async Task An_image_without_a_face_fails_the_whole_enrollment_and_stores_nothing()
    {
        await factory.ResetCollectionAsync(Collection);
        var person = DevPhotos.People[0];
        var problem = await (await _client.EnrollAsync(Collection, person.Name, person.Photos[0], DevPhotos.NoFace("pilatus800.jpg")))
            .ReadProblemAsync((HttpStatusCode)422, "no_face");
        Assert.Equal("image[1]", (string?)problem["target"]);
        Assert.Equal(0, await factory.CountFacesAsync(Collection));
        await (await _client.GetAsync($"/v1/subjects/{person.Name}?collection={Collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
    }

    [Fact]
    public async Task Subjects_faces_and_collections_can_be_listed_and_erased()
    {
        await factory.ResetCollectionAsync(Collection);
        var (p1, p2) = (DevPhotos.People[0], DevPhotos.People[1]);
        var enrolled = await _client.EnrollOkAsync(Collection, p1.Name, p1.Photos[0], p1.Photos[1]);
        await _client.EnrollOkAsync(Collection, p2.Name, p2.Photos[0]);

        var page = await (await _client.GetAsync($"/v1/subjects?collection={Collection}&page=2&pageSize=1")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(2, (long)page["total"]!);
        Assert.Equal(2, (int)page["page"]!);
        Assert.Single(page["items"]!.AsArray());

        var subject = await (await _client.GetAsync($"/v1/subjects/{p1.Name}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(2, (int)subject["faceCount"]!);

        var faces = await (await _client.GetAsync($"/v1/subjects/{p1.Name}/faces?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        var storedIds = faces["faces"]!.AsArray().Select(f => (string)f!["faceId"]!).Order().ToList();
        Assert.Equal(enrolled["faces"]!.AsArray().Select(f => (string)f!["faceId"]!).Order(), storedIds);
        Assert.All(faces["faces"]!.AsArray(), f => Assert.False(string.IsNullOrEmpty((string?)f!["modelId"])));

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/v1/faces/{storedIds[0]}")).StatusCode);
        await (await _client.DeleteAsync($"/v1/faces/{storedIds[0]}")).ReadProblemAsync(HttpStatusCode.NotFound, "face_not_found");
        Assert.Equal(2, await factory.CountFacesAsync(Collection));

        var collections = await (await _client.GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
        var mine = collections["collections"]!.AsArray().Single(c => (string?)c!["collection"] == Collection);
        Assert.Equal(2, (int)mine!["subjectCount"]!);
        Assert.Equal(2, (int)mine["faceCount"]!);

        var erased = await (await _client.DeleteAsync($"/v1/subjects/{p1.Name}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)erased["deletedFaces"]!);
        Assert.Equal(1, await factory.CountFacesAsync(Collection));

        var dropped = await (await _client.DeleteAsync($"/v1/collections/{Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)dropped["deletedFaces"]!);
        Assert.Equal(0, await factory.CountFacesAsync(Collection));
        await (await _client.DeleteAsync($"/v1/collections/{Collection}")).ReadProblemAsync(HttpStatusCode.NotFound, "collection_not_found");
    }
}
