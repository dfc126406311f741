using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Security;

/// <summary>Keys that end: expiry (401 key_expired), rotation with an overlap, both audited.</summary>
[Collection(ApiCollection.Name)]
public sealed class KeyLifecycleTests(ApiFactory factory)
{
    private const string Own = "apitest-keys-lifecycle";
    private readonly HttpClient _admin = factory.CreateClient();

    private async Task<JsonNode> CreateAsync(object request) =>
        await (await _admin.PostAsJsonAsync("/v1/keys", request)).ReadAsync(HttpStatusCode.Created);

    [Fact]
    public async Task A_key_works_until_it_expires_then_answers_key_expired()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var created = await CreateAsync(new { name = "short-lived", roles = new[] { "read" }, collections = new[] { Own }, expiresAt });
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), ((DateTimeOffset)created["expiresAt"]!).ToUnixTimeMilliseconds());
        var client = factory.ClientWithKey((string)created["key"]!);
        await (await client.GetAsync($"/v1/subjects?collection={Own}")).ReadAsync(HttpStatusCode.OK);

        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));

        var response = await client.GetAsync($"/v1/subjects?collection={Own}");
        var problem = await response.ReadProblemAsync(HttpStatusCode.Unauthorized, "key_expired");
        Assert.Contains("expired at", (string?)problem["detail"]);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        // A wrong key of the same id learns nothing about the key's end.
        var wrong = factory.ClientWithKey(((string)created["key"]!)[..^4] + "AAAA");
        await (await wrong.GetAsync($"/v1/subjects?collection={Own}")).ReadProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData(-60)]
    [InlineData(0)]
    public async Task A_key_cannot_be_made_already_expired(int seconds)
    {
        var response = await _admin.PostAsJsonAsync("/v1/keys",
            new { name = "stillborn", roles = new[] { "read" }, collections = new[] { Own }, expiresAt = DateTimeOffset.UtcNow.AddSeconds(seconds) });
        var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("expiresAt", (string?)problem["target"]);
    }

    [Fact]
    public async Task Rotation_issues_a_key_of_the_same_scope_and_limit_and_the_old_one_works_for_the_overlap()
    {
        var old = await CreateAsync(new { name = "kiosk", roles = new[] { "write" }, collections = new[] { Own }, requestsPerMinute = 1234,
            expiresAt = DateTimeOffset.UtcNow.AddDays(90) });
        var oldId = (string)old["keyId"]!;
        var oldClient = factory.ClientWithKey((string)old["key"]!);

        var before = DateTimeOffset.UtcNow;
        // A write key cannot manage keys: only an admin rotates.
        await (await oldClient.PostAsJsonAsync($"/v1/keys/{oldId}/rotate", new { overlapSeconds = 600 })).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var response = await _admin.PostAsJsonAsync($"/v1/keys/{oldId}/rotate", new { overlapSeconds = 600 });
        var fresh = await response.ReadAsync(HttpStatusCode.Created);

        Assert.Equal(oldId, (string?)fresh["replacedKeyId"]);
        Assert.InRange((DateTimeOffset)fresh["replacedKeyExpiresAt"]!, before.AddSeconds(599), DateTimeOffset.UtcNow.AddSeconds(601));
        Assert.Equal(("kiosk", 1234), ((string?)fresh["name"], (int?)fresh["requestsPerMinute"]));
        Assert.Equal(["read", "write"], fresh["roles"]!.AsArray().Select(r => (string)r!));
        Assert.Equal([Own], fresh["collections"]!.AsArray().Select(c => (string)c!));
        // The old key's lifetime (90 days) again, from now.
        Assert.InRange((DateTimeOffset)fresh["expiresAt"]!, before.AddDays(90).AddSeconds(-5), DateTimeOffset.UtcNow.AddDays(90).AddSeconds(5));

        var newClient = factory.ClientWithKey((string)fresh["key"]!);
        await (await newClient.GetAsync($"/v1/subjects?collection={Own}")).ReadAsync(HttpStatusCode.OK);
        await (await oldClient.GetAsync($"/v1/subjects?collection={Own}")).ReadAsync(HttpStatusCode.OK);

        // An overlap of 0 ends the old key at once; a key that has ended is not rotated again.
        var second = await (await _admin.PostAsJsonAsync($"/v1/keys/{(string)fresh["keyId"]!}/rotate", new { overlapSeconds = 0 })).ReadAsync(HttpStatusCode.Created);
        await (await newClient.GetAsync($"/v1/subjects?collection={Own}")).ReadProblemAsync(HttpStatusCode.Unauthorized, "key_expired");
        await (await _admin.PostAsync($"/v1/keys/{(string)fresh["keyId"]!}/rotate", null)).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");

        // An empty body takes the defaults (one hour).
        var third = await (await _admin.PostAsync($"/v1/keys/{(string)second["keyId"]!}/rotate", null)).ReadAsync(HttpStatusCode.Created);
        Assert.InRange((DateTimeOffset)third["replacedKeyExpiresAt"]!, before.AddSeconds(3599), DateTimeOffset.UtcNow.AddSeconds(3601));

        var audit = (await (await _admin.GetAsync($"/v1/audit?collection={Own}&limit=50")).ReadAsync(HttpStatusCode.OK))["records"]!.AsArray();
        Assert.Contains(audit, r => (string?)r!["action"] == "rotate_key" && (string?)r["targetKeyId"] == oldId);
        Assert.Contains(audit, r => (string?)r!["action"] == "create_key" && (string?)r["targetKeyId"] == (string?)fresh["keyId"]);
    }

    [Theory]
    [InlineData("""{"overlapSeconds": -1}""", "overlapSeconds")]
    [InlineData("""{"overlapSeconds": 2592001}""", "overlapSeconds")]
    [InlineData("""{"expiresAt": "2001-01-01T00:00:00Z"}""", "expiresAt")]
    public async Task A_rotation_out_of_range_is_refused_and_changes_nothing(string body, string target)
    {
        var key = await CreateAsync(new { name = "not rotated", roles = new[] { "read" }, collections = new[] { Own } });
        var response = await _admin.PostAsync($"/v1/keys/{(string)key["keyId"]!}/rotate",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(target, (string?)problem["target"]);
        await (await factory.ClientWithKey((string)key["key"]!).GetAsync($"/v1/subjects?collection={Own}")).ReadAsync(HttpStatusCode.OK);
        var listed = (await (await _admin.GetAsync("/v1/keys")).ReadAsync(HttpStatusCode.OK))["keys"]!.AsArray()
            .Single(k => (string?)k!["keyId"] == (string?)key["keyId"])!;
        Assert.Null((string?)listed["expiresAt"]);
    }

    [Fact]
    public async Task Rotating_a_revoked_or_unknown_key_is_key_not_found()
    {
        var key = await CreateAsync(new { name = "revoked", roles = new[] { "read" }, collections = new[] { Own } });
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/v1/keys/{(string)key["keyId"]!}")).StatusCode);
        await (await _admin.PostAsync($"/v1/keys/{(string)key["keyId"]!}/rotate", null)).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");
        await (await _admin.PostAsync("/v1/keys/0123456789abcdef/rotate", null)).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");
    }
}
