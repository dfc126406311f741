using System.Net;
using System.Net.Http.Json;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests;

/// <summary>One person, one id: subject ids in either Unicode form are one subject; look-alike ids are refused.</summary>
[Collection(ApiCollection.Name)]
public sealed class SubjectIdTests(ApiFactory factory)
{
    private const string Collection = "apitest-subject-ids";
    private const string TypedOnLinux = "Jos\u00e9 Unicode";      // U+00E9
    private const string FromMacFolder = "Jose\u0301 Unicode";    // e + U+0301 COMBINING ACUTE ACCENT
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Both_unicode_forms_of_a_name_enroll_identify_and_erase_one_subject()
    {
        await factory.ResetCollectionAsync(Collection);
        var person = DevPhotos.People.First(p => p.Photos.Count >= 3);

        var first = await _client.EnrollOkAsync(Collection, TypedOnLinux, person.Photos[0]);
        var second = await _client.EnrollOkAsync(Collection, FromMacFolder, person.Photos[1]);
        Assert.Equal(TypedOnLinux, (string?)first["subject"]);
        Assert.Equal(TypedOnLinux, (string?)second["subject"]);

        var subject = await (await _client.GetAsync($"/v1/subjects/{Uri.EscapeDataString(FromMacFolder)}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(TypedOnLinux, (string?)subject["subject"]);
        Assert.Equal(2, (int?)subject["faceCount"]);
        var subjects = await (await _client.GetAsync($"/v1/subjects?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int?)subjects["total"]);

        var identified = await _client.IdentifyOkAsync(Collection, person.Photos[2]);
        Assert.Equal(TypedOnLinux, (string?)identified["faces"]![0]!["subject"]);

        var erased = await (await _client.DeleteAsync($"/v1/subjects/{Uri.EscapeDataString(FromMacFolder)}?collection={Collection}")).ReadAsync(HttpStatusCode.OK);
        Assert.Equal(2, (int?)erased["deletedFaces"]);
        Assert.Equal(0, await factory.CountFacesAsync(Collection));
        await (await _client.GetAsync($"/v1/subjects/{Uri.EscapeDataString(TypedOnLinux)}?collection={Collection}"))
            .ReadProblemAsync(HttpStatusCode.NotFound, "subject_not_found");
    }

    [Theory]
    [InlineData("Bob\u202Emiws", "U+202E")]       // RIGHT-TO-LEFT OVERRIDE: shows as "Bobswim"
    [InlineData("Al\u200Dice", "U+200D")]         // ZERO WIDTH JOINER: shows as "Alice"
    [InlineData("\u2066Eve\u2069", "U+2066")]     // LEFT-TO-RIGHT ISOLATE
    [InlineData("Carol\u0007", "U+0007")]         // BELL (Cc)
    public async Task Ids_with_control_or_invisible_formatting_characters_are_refused_and_nothing_is_stored(string id, string codePoint)
    {
        await factory.ResetCollectionAsync(Collection);
        var photo = DevPhotos.People[0].Photos[0];

        var problem = await (await _client.EnrollAsync(Collection, id, photo)).ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("subject", (string?)problem["target"]);
        Assert.Contains(codePoint, (string?)problem["detail"]);
        Assert.Equal(0, await factory.CountFacesAsync(Collection));

        foreach (var request in new[]
                 {
                     new HttpRequestMessage(HttpMethod.Get, $"/v1/subjects/{Uri.EscapeDataString(id)}?collection={Collection}"),
                     new HttpRequestMessage(HttpMethod.Delete, $"/v1/subjects/{Uri.EscapeDataString(id)}?collection={Collection}"),
                     new HttpRequestMessage(HttpMethod.Post, "/v1/verify") { Content = new Multipart().File("image1", photo).Field("subject", id).Field("collection", Collection) },
                 })
        {
            var refused = await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.Equal("subject", (string?)refused["target"]);
        }
    }

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("visitors\u202E")]
    [InlineData("a\u200Bb")]
    public async Task Collection_names_outside_plain_ascii_are_refused_in_forms_queries_and_json(string name)
    {
        var photo = DevPhotos.People[0].Photos[0];
        var responses = new[]
        {
            await _client.EnrollAsync(name, "alice-ascii", photo),
            await _client.GetAsync($"/v1/subjects?collection={Uri.EscapeDataString(name)}"),
            await _client.PostAsJsonAsync("/v1/cluster", new { collection = name }),
        };
        foreach (var response in responses)
        {
            var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.True(((string?)problem["target"])?.Contains("collection") == true, problem.ToJsonString());
        }
    }

    [Fact]
    public async Task A_null_collection_in_json_is_the_default_collection_as_an_absent_one_is()
    {
        var absent = await _client.PostAsJsonAsync("/v1/cluster", new { linkage = "average" });
        var nulled = await _client.PostAsJsonAsync("/v1/cluster", new { collection = (string?)null, linkage = "average" });
        Assert.Equal(absent.StatusCode, nulled.StatusCode);
        Assert.NotEqual(HttpStatusCode.BadRequest, nulled.StatusCode);
    }
}
