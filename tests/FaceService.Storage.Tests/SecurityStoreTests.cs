using FaceService.Core.Security;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>The api_keys and audit_log tables through their stores, in a freshly migrated schema.</summary>
[Collection(StoreCollection.Name)]
public sealed class SecurityStoreTests(StoreFixture fixture)
{
    private readonly PgApiKeyStore keys = new(fixture.Schema.DataSource);
    private readonly PgAuditLog audit = new(fixture.Schema.DataSource);

    [Fact]
    public async Task A_key_round_trips_with_its_hash_and_scope_and_revokes_once()
    {
        var (keyId, text) = ApiKeySecret.Generate();
        var scope = ApiKeyScope.Parse(["write"], ["b-coll", "a-coll", "b-coll"]);
        var key = new ApiKey(keyId, "round trip", scope, DateTimeOffset.UtcNow, "bootstrap", null);
        await keys.CreateAsync(key, ApiKeySecret.Hash(text));

        var found = await keys.FindAsync(keyId);
        Assert.NotNull(found);
        Assert.True(ApiKeySecret.Matches(text, found.KeySha256));
        Assert.False(ApiKeySecret.Matches(text + "x", found.KeySha256));
        Assert.Equal(ApiKeyRole.Write, found.Key.Scope.Role);
        Assert.Equal(["a-coll", "b-coll"], found.Key.Scope.Collections);
        Assert.Null(found.Key.RevokedAt);
        Assert.Contains(await keys.ListAsync(), k => k.KeyId == keyId);

        // The table has no column holding the key's text.
        var stored = await fixture.Schema.ScalarAsync<string>($"SELECT row_to_json(k)::text FROM api_keys k WHERE key_id = '{keyId}'");
        Assert.DoesNotContain(text[(text.LastIndexOf('_') + 1)..], stored);

        Assert.True(await keys.RevokeAsync(keyId));
        Assert.False(await keys.RevokeAsync(keyId));
        Assert.NotNull((await keys.FindAsync(keyId))!.Key.RevokedAt);
        Assert.Null(await keys.FindAsync("0000000000000000"));
    }

    [Fact]
    public async Task Audit_records_come_back_newest_first_filtered_by_collection()
    {
        var (c1, c2) = ("audit-" + Guid.NewGuid().ToString("N")[..8], "audit-" + Guid.NewGuid().ToString("N")[..8]);
        Guid[] faceIds = [Guid.NewGuid(), Guid.NewGuid()];
        await audit.RecordAsync(new AuditEntry(AuditActions.Enroll, "k1", "writer", c1, "alice", faceIds, 2, null, "req-1"));
        await audit.RecordAsync(new AuditEntry(AuditActions.DeleteSubject, "k1", "writer", c1, "alice", [], 2, null, "req-2"));
        await audit.RecordAsync(new AuditEntry(AuditActions.Enroll, "k2", "other", c2, "bob", [], 0, null, null));

        var records = await audit.QueryAsync([c1], 10);
        Assert.Equal([AuditActions.DeleteSubject, AuditActions.Enroll], records.Select(r => r.Entry.Action));
        Assert.Equal(faceIds, records[1].Entry.FaceIds);
        Assert.Equal("req-1", records[1].Entry.RequestId);
        Assert.True(records[0].AuditId > records[1].AuditId);
        Assert.Single(await audit.QueryAsync([c1], 1));
        Assert.Contains(await audit.QueryAsync(null, 10), r => r.Entry.Collection == c2);
    }

    [Fact]
    public async Task An_unreachable_database_is_store_unavailable()
    {
        await using var dataSource = ServiceCollectionExtensions.CreateDataSource(
            TestDatabase.Options("Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=2"));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => new PgApiKeyStore(dataSource).FindAsync("0123456789abcdef"));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => new PgAuditLog(dataSource).QueryAsync(null, 1));
    }
}
