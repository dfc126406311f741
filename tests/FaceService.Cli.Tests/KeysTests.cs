using System.Text.Json;
using FaceService.Core.Security;
using FaceService.Storage;
using Npgsql;

namespace FaceService.Cli.Tests;

/// <summary>keys create | list | rotate | revoke against the test database, checked with the store the API authenticates with.</summary>
public sealed class KeysTests : IAsyncLifetime
{
    private readonly NpgsqlDataSource _dataSource = ServiceCollectionExtensions.CreateDataSource(new StorageOptions { ConnectionString = TestEnvironment.ConnectionString });
    private readonly string _collection = "cli-keys-" + Guid.NewGuid().ToString("N")[..8];

    // The keys commands need no models: only the database.
    private static string[] Connection => ["--connection", TestEnvironment.ConnectionString];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task Create_prints_the_key_once_and_the_stored_hash_authenticates_it()
    {
        var result = await Cli.RunAsync(["keys", "create", "--name", "kiosk", "--roles", "read, write", "--collections", $"{_collection},{_collection}-b", .. Connection]);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.Error);
        var text = Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(ApiKeySecret.TryParseKeyId(text, out var keyId), text);
        Assert.Contains($"Created key {keyId} 'kiosk'", result.Error);
        Assert.Contains("shown this once", result.Error);

        var credential = await new PgApiKeyStore(new PgDatabase(_dataSource)).FindAsync(keyId);
        Assert.NotNull(credential);
        Assert.True(ApiKeySecret.Matches(text, credential.KeySha256));
        Assert.Null(credential.Key.RevokedAt);
        Assert.Equal(("kiosk", ApiKeyRole.Write, "cli"), (credential.Key.Name, credential.Key.Scope.Role, credential.Key.CreatedBy));
        Assert.Equal([_collection, _collection + "-b"], credential.Key.Scope.Collections);
        Assert.Equal(new Dictionary<string, int> { [AuditActions.CreateKey] = 1 }, await AuditCountsAsync(keyId));
    }

    [Fact]
    public async Task List_shows_keys_without_their_text_and_revoke_ends_a_key_once()
    {
        var created = await Cli.RunAsync(["keys", "create", "--name", "to revoke", "--roles", "admin", "--collections", _collection, .. Connection]);
        var text = created.Out.Trim();
        Assert.True(ApiKeySecret.TryParseKeyId(text, out var keyId), created.Error);
        var secret = text[(text.LastIndexOf('_') + 1)..];

        var json = Path.GetTempFileName();
        try
        {
            var listed = await Cli.RunAsync(["keys", "list", "--json", json, .. Connection]);
            Assert.Equal(ExitCodes.Ok, listed.ExitCode);
            var line = Assert.Single(listed.Out.Split('\n'), l => l.StartsWith(keyId, StringComparison.Ordinal));
            Assert.Contains("to revoke", line);
            Assert.Contains("read,write,admin", line);
            Assert.EndsWith("active", line.TrimEnd());
            Assert.DoesNotContain(secret, listed.Out);
            var fileText = await File.ReadAllTextAsync(json);
            Assert.DoesNotContain(secret, fileText);
            var entry = Assert.Single(JsonDocument.Parse(fileText).RootElement.EnumerateArray(), e => e.GetProperty("keyId").GetString() == keyId);
            Assert.Equal(_collection, entry.GetProperty("collections")[0].GetString());
        }
        finally
        {
            File.Delete(json);
        }

        // By its whole text or by its id; a second revoke finds no valid key.
        var revoked = await Cli.RunAsync(["keys", "revoke", text, .. Connection]);
        Assert.Equal((ExitCodes.Ok, $"Revoked key {keyId}."), (revoked.ExitCode, revoked.Out.Trim()));
        var again = await Cli.RunAsync(["keys", "revoke", keyId, .. Connection]);
        Assert.Equal(ExitCodes.Failed, again.ExitCode);
        Assert.Contains($"error: No valid API key {keyId}", again.Error);

        var credential = (await new PgApiKeyStore(new PgDatabase(_dataSource)).FindAsync(keyId))!;
        Assert.NotNull(credential.Key.RevokedAt);
        Assert.Contains((await Cli.RunAsync(["keys", "list", .. Connection])).Out.Split('\n'), l => l.StartsWith(keyId, StringComparison.Ordinal) && l.Contains("revoked "));
        Assert.Equal(new Dictionary<string, int> { [AuditActions.CreateKey] = 1, [AuditActions.RevokeKey] = 1 }, await AuditCountsAsync(keyId));
        // A single-collection key's records are filed under it, for that collection's admins.
        var records = await new PgAuditLog(new PgDatabase(_dataSource)).QueryAsync([_collection], 10);
        Assert.All(records, r => Assert.Equal(("cli", $"cli ({Environment.UserName})"), (r.Entry.ActorKeyId, r.Entry.ActorName)));
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public async Task Create_sets_an_end_and_a_rate_limit_and_rotate_hands_over_with_an_overlap()
    {
        var end = DateTimeOffset.UtcNow.AddDays(30);
        var created = await Cli.RunAsync(["keys", "create", "--name", "nightly job", "--roles", "write", "--collections", _collection,
            "--expires-at", end.ToString("O"), "--requests-per-minute", "120", .. Connection]);
        Assert.True(created.ExitCode == ExitCodes.Ok, created.Error);
        Assert.True(ApiKeySecret.TryParseKeyId(created.Out.Trim(), out var oldId));
        Assert.Contains("120/min; expires ", created.Error);

        var line = Assert.Single((await Cli.RunAsync(["keys", "list", .. Connection])).Out.Split('\n'), l => l.StartsWith(oldId, StringComparison.Ordinal));
        Assert.Contains("120/min", line);
        Assert.Contains("expires " + end.UtcDateTime.ToString("yyyy-MM-dd"), line);

        var rotated = await Cli.RunAsync(["keys", "rotate", oldId, "--overlap-seconds", "90", .. Connection]);
        Assert.True(rotated.ExitCode == ExitCodes.Ok, rotated.Error);
        Assert.True(ApiKeySecret.TryParseKeyId(rotated.Out.Trim(), out var newId));
        Assert.Contains($"Key {oldId} keeps working until ", rotated.Error);

        var store = new PgApiKeyStore(new PgDatabase(_dataSource));
        var (old, fresh) = ((await store.FindAsync(oldId))!.Key, (await store.FindAsync(newId))!.Key);
        Assert.InRange(old.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddSeconds(60), DateTimeOffset.UtcNow.AddSeconds(91));
        Assert.Equal(("nightly job", 120, _collection), (fresh.Name, fresh.RequestsPerMinute, fresh.Scope.Collections[0]));
        Assert.InRange(fresh.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddDays(30).AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(30).AddMinutes(1));
        Assert.Equal(new Dictionary<string, int> { [AuditActions.CreateKey] = 1, [AuditActions.RotateKey] = 1 }, await AuditCountsAsync(oldId));

        var usage = await Cli.RunAsync(["keys", "create", "--name", "x", "--roles", "read", "--collections", _collection, "--expires-at", "next tuesday", .. Connection]);
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.Contains("--expires-at", usage.Error);
    }

    [Fact]
    public async Task An_unknown_key_id_is_a_failure_not_a_usage_error()
    {
        var result = await Cli.RunAsync(["keys", "revoke", "0000000000000000", .. Connection]);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("error: No valid API key 0000000000000000", result.Error);
        Assert.Empty(await AuditCountsAsync("0000000000000000"));
    }

    private async Task<Dictionary<string, int>> AuditCountsAsync(string keyId)
    {
        await using var command = _dataSource.CreateCommand("SELECT action, count(*)::int FROM audit_log WHERE target_key_id = @k GROUP BY action");
        command.Parameters.AddWithValue("k", keyId);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync()) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }
}
