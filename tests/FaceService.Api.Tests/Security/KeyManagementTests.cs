using System.Net;
using System.Security.Cryptography;
using System.Text;
using FaceService.Api.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FaceService.Api.Tests.Security;

/// <summary>Keys: shown once, stored as a hash, scoped, revocable.</summary>
[Collection(ApiCollection.Name)]
public sealed class KeyManagementTests(ApiFactory factory)
{
    private const string Own = "apitest-keys-own";
    private readonly HttpClient _admin = factory.CreateClient();

    [Fact]
    public async Task A_created_key_is_shown_once_and_stored_only_as_its_hash()
    {
        var response = await _admin.CreateKeyAsync("hash check", ["read"], [Own]);
        var created = await response.ReadAsync(HttpStatusCode.Created);
        var (keyId, key) = ((string)created["keyId"]!, (string)created["key"]!);
        Assert.StartsWith($"fs_{keyId}_", key);
        Assert.Equal(["read"], created["roles"]!.AsArray().Select(r => (string)r!));

        // The row holds the SHA-256 of the key and nothing from which the key could be read back.
        await using var dataSource = NpgsqlDataSource.Create(ApiFactory.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT key_sha256, row_to_json(k)::text FROM api_keys k WHERE key_id = @id");
        command.Parameters.AddWithValue("id", keyId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(key)), reader.GetFieldValue<byte[]>(0));
        var row = reader.GetString(1);
        var secret = key[(key.LastIndexOf('_') + 1)..];
        Assert.DoesNotContain(secret, row);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(secret)), row);

        // Listing shows the key but never its text.
        var listed = await (await _admin.GetAsync("/v1/keys")).Content.ReadAsStringAsync();
        Assert.Contains(keyId, listed);
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain("\"key\"", listed);
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        var created = await _admin.CreateKeyOkAsync("to revoke", ["write"], [Own]);
        var client = factory.ClientWithKey(created.Key);
        await (await client.GetAsync($"/v1/subjects?collection={Own}")).ReadAsync(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/v1/keys/{created.KeyId}")).StatusCode);

        await (await client.GetAsync($"/v1/subjects?collection={Own}")).ReadProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await _admin.DeleteAsync($"/v1/keys/{created.KeyId}")).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");
        var listed = (await (await _admin.GetAsync("/v1/keys")).ReadAsync(HttpStatusCode.OK))["keys"]!.AsArray()
            .Single(k => (string)k!["keyId"]! == created.KeyId)!;
        Assert.NotNull((string?)listed["revokedAt"]);
    }

    [Fact]
    public async Task A_collection_admin_manages_only_keys_within_its_scope()
    {
        var scopedAdmin = factory.ClientWithKey((await _admin.CreateKeyOkAsync("collection admin", ["admin"], [Own])).Key);
        var wide = await _admin.CreateKeyOkAsync("everything reader", ["read"], ["*"]);

        await (await scopedAdmin.CreateKeyAsync("wider", ["read"], ["*"])).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await scopedAdmin.CreateKeyAsync("elsewhere", ["read"], ["apitest-keys-other"])).ReadProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var own = await scopedAdmin.CreateKeyOkAsync("own reader", ["read"], [Own]);

        var visible = (await (await scopedAdmin.GetAsync("/v1/keys")).ReadAsync(HttpStatusCode.OK))["keys"]!.AsArray()
            .Select(k => (string)k!["keyId"]!).ToList();
        Assert.Contains(own.KeyId, visible);
        Assert.DoesNotContain(wide.KeyId, visible);
        // A key outside the scope is as unknown as a missing one, and stays valid.
        await (await scopedAdmin.DeleteAsync($"/v1/keys/{wide.KeyId}")).ReadProblemAsync(HttpStatusCode.NotFound, "key_not_found");
        await (await factory.ClientWithKey(wide.Key).GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"name": "x", "roles": ["superuser"], "collections": ["a"]}""", "roles")]
    [InlineData("""{"name": "x", "roles": [], "collections": ["a"]}""", "roles")]
    [InlineData("""{"name": "x", "roles": ["read"], "collections": []}""", "collections")]
    [InlineData("""{"name": "x", "roles": ["read"], "collections": ["bad name!"]}""", "collections")]
    [InlineData("""{"name": "", "roles": ["read"], "collections": ["a"]}""", "name")]
    public async Task An_invalid_key_request_is_a_validation_error(string body, string target)
    {
        var response = await _admin.PostAsync("/v1/keys", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(target, (string?)problem["target"]);
    }

    [Theory]
    [InlineData("too-short")]
    [InlineData("a key with white space that is long enough")]
    public void A_weak_bootstrap_key_fails_start_up_without_quoting_it(string key)
    {
        using var weak = new SettingsFactory(new() { ["Auth:BootstrapAdminKey"] = key });
        var error = Assert.ThrowsAny<OptionsValidationException>(() => weak.CreateClient());
        Assert.Contains("BootstrapAdminKey", error.Message);
        Assert.DoesNotContain(key, error.Message);
    }

    [Fact]
    public async Task With_auth_switched_off_requests_need_no_key()
    {
        using var open = new SettingsFactory(new() { ["Auth:Enabled"] = "false" });
        await (await open.ClientWithKey(null).GetAsync("/v1/collections")).ReadAsync(HttpStatusCode.OK);
    }
}

/// <summary>The test host with extra settings and no model warm-up (for tests that run no model).</summary>
public sealed class SettingsFactory(Dictionary<string, string?> settings) : ApiFactory
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(settings) { ["Inference:WarmUp"] = "false" };
}
