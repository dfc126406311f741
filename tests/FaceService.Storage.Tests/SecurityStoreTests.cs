using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;
using Npgsql;

namespace FaceService.Storage.Tests;

/// <summary>
/// The api_keys and audit_log tables through their stores, in a freshly migrated schema: every audited change writes its
/// record in its own transaction, so that both are committed or neither is.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class SecurityStoreTests(StoreFixture fixture)
{
    private const string Model = "model-a";
    private static readonly AuditActor Writer = new("k1", "writer", "req-1");
    // PostgreSQL text cannot hold a NUL character: an audit record of this actor fails inside the change's transaction.
    private static readonly AuditActor Unrecordable = new("k1", "bad\0name", "req-x");

    private readonly PgApiKeyStore keys = new(fixture.Schema.Database);
    private readonly PgAuditLog audit = new(fixture.Schema.Database);
    private readonly PgFaceStore store = fixture.Store;
    private readonly SyntheticFaces faces = new(seed: 11);

    private NewFace NewFace(string subject) => faces.Face(subject, faces.CodeNear(faces.NewSubject()));

    [Fact]
    public async Task A_key_round_trips_with_its_hash_and_scope_and_revokes_once()
    {
        var (keyId, text) = ApiKeySecret.Generate();
        var scope = ApiKeyScope.Parse(["write"], ["b-coll", "a-coll", "b-coll"]);
        var key = new ApiKey(keyId, "round trip", scope, DateTimeOffset.UtcNow, "bootstrap", null, null, 6000);
        await keys.CreateAsync(key, ApiKeySecret.Hash(text), Writer);

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

        Assert.True(await keys.RevokeAsync(keyId, Writer));
        Assert.False(await keys.RevokeAsync(keyId, Writer));
        Assert.NotNull((await keys.FindAsync(keyId))!.Key.RevokedAt);
        Assert.Null(await keys.FindAsync("0000000000000000"));
    }

    [Fact]
    public async Task A_rotation_ends_the_old_key_and_stores_the_new_one_with_both_audit_records_or_writes_nothing()
    {
        var collection = SyntheticFaces.NewCollection();
        var scope = ApiKeyScope.Parse(["write"], [collection.Value]);
        var now = DateTimeOffset.UtcNow;
        var (oldId, oldText) = ApiKeySecret.Generate();
        await keys.CreateAsync(new ApiKey(oldId, "kiosk", scope, now, "k1", null, now.AddDays(90), 50), ApiKeySecret.Hash(oldText), Writer);

        var (newId, newText) = ApiKeySecret.Generate();
        var overlapEnd = now.AddHours(1);
        Assert.True(await keys.RotateAsync(oldId, overlapEnd, new ApiKey(newId, "kiosk", scope, now, "k1", null, now.AddDays(180), 50),
            ApiKeySecret.Hash(newText), Writer with { RequestId = "req-rotate" }));

        var old = (await keys.FindAsync(oldId))!.Key;
        Assert.Equal(overlapEnd.ToUnixTimeMilliseconds(), old.ExpiresAt!.Value.ToUnixTimeMilliseconds());
        var fresh = (await keys.FindAsync(newId))!.Key;
        Assert.Equal((50, "kiosk"), (fresh.RequestsPerMinute, fresh.Name));
        Assert.Equal(scope.Collections, fresh.Scope.Collections);
        var records = await audit.QueryAsync([collection.Value], 10);
        Assert.Equal([(AuditActions.CreateKey, newId), (AuditActions.RotateKey, oldId), (AuditActions.CreateKey, oldId)],
            records.Select(r => (r.Entry.Action, r.Entry.TargetKeyId)));

        // A revoked or expired key is not rotated, and nothing is written.
        Assert.True(await keys.RevokeAsync(newId, Writer));
        var (thirdId, thirdText) = ApiKeySecret.Generate();
        var third = new ApiKey(thirdId, "kiosk", scope, now, "k1", null, null, 50);
        Assert.False(await keys.RotateAsync(newId, overlapEnd, third, ApiKeySecret.Hash(thirdText), Writer));
        await fixture.Schema.ScalarAsync<int>($"UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = '{oldId}' RETURNING 1");
        Assert.False(await keys.RotateAsync(oldId, overlapEnd, third, ApiKeySecret.Hash(thirdText), Writer));
        Assert.Null(await keys.FindAsync(thirdId));
        Assert.Equal(4, (await audit.QueryAsync([collection.Value], 10)).Count);
    }

    [Fact]
    public async Task Audit_records_come_back_newest_first_filtered_by_collection()
    {
        var (c1, c2) = (SyntheticFaces.NewCollection(), SyntheticFaces.NewCollection());
        var enrolled = await store.EnrollAsync(c1, Model, [NewFace("alice"), NewFace("alice")], Writer);
        await store.DeleteSubjectAsync(c1, SubjectId.Parse("alice"), Writer with { RequestId = "req-2" });
        await store.EnrollAsync(c2, Model, [NewFace("bob")], new AuditActor("k2", "other", null));

        var records = await audit.QueryAsync([c1], 10);
        Assert.Equal([AuditActions.DeleteSubject, AuditActions.Enroll], records.Select(r => r.Entry.Action));
        Assert.Equal(enrolled.Select(f => f.FaceId), records[1].Entry.FaceIds);
        Assert.Equal(("alice", 2, "req-1"), (records[1].Entry.Subject, records[1].Entry.FaceCount, records[1].Entry.RequestId));
        Assert.Equal((2, "req-2"), (records[0].Entry.FaceCount, records[0].Entry.RequestId));
        Assert.True(records[0].AuditId > records[1].AuditId);
        Assert.Single(await audit.QueryAsync([c1], 1));
        Assert.Contains(await audit.QueryAsync(null, 10), r => r.Entry.Collection == c2 && r.Entry.ActorName == "other");
    }

    [Fact]
    public async Task Each_audited_face_change_writes_exactly_one_record_with_what_it_changed()
    {
        var collection = SyntheticFaces.NewCollection();
        var carol = await store.EnrollAsync(collection, Model, [NewFace("carol"), NewFace("carol")], Writer);
        await store.EnrollAsync(collection, Model, [NewFace("dave")], Writer);

        Assert.True(await store.DeleteFaceAsync(carol[0].FaceId, Writer));
        Assert.Equal(1, await store.DeleteSubjectAsync(collection, SubjectId.Parse("carol"), Writer));
        Assert.Equal(1, await store.DeleteCollectionAsync(collection, Writer));

        var records = (await audit.QueryAsync([collection], 100)).Reverse().Select(r => r.Entry).ToList();
        Assert.Equal([AuditActions.Enroll, AuditActions.Enroll, AuditActions.DeleteFace, AuditActions.DeleteSubject, AuditActions.DeleteCollection],
            records.Select(r => r.Action));
        Assert.Equal(("carol", 2), (records[0].Subject, records[0].FaceCount));
        Assert.Equal(("carol", 1), (records[2].Subject, records[2].FaceCount));
        Assert.Equal([carol[0].FaceId], records[2].FaceIds);
        Assert.Equal(("carol", 1), (records[3].Subject, records[3].FaceCount));
        Assert.Equal(((string?)null, 1), (records[4].Subject, records[4].FaceCount));
        Assert.All(records, r => Assert.Equal((Writer.KeyId, Writer.Name, Writer.RequestId), (r.ActorKeyId, r.ActorName, r.RequestId)));
    }

    [Fact]
    public async Task A_change_that_finds_nothing_writes_no_record()
    {
        var collection = SyntheticFaces.NewCollection();
        var face = (await store.EnrollAsync(collection, Model, [NewFace("erin")]))[0];
        Assert.True(await store.DeleteFaceAsync(face.FaceId));

        Assert.False(await store.DeleteFaceAsync(face.FaceId, Writer));
        Assert.Equal(0, await store.DeleteSubjectAsync(collection, SubjectId.Parse("erin"), Writer));
        Assert.Equal(0, await store.DeleteCollectionAsync(collection, Writer));
        Assert.False(await keys.RevokeAsync("0000000000000000", Writer));

        Assert.Empty(await audit.QueryAsync([collection], 10));
        Assert.DoesNotContain(await audit.QueryAsync(null, AuditService.MaxLimit), r => r.Entry.TargetKeyId == "0000000000000000");
    }

    [Fact]
    public async Task A_change_whose_record_cannot_be_written_is_rolled_back()
    {
        var collection = SyntheticFaces.NewCollection();
        var frank = await store.EnrollAsync(collection, Model, [NewFace("frank"), NewFace("frank")], Writer);

        await Assert.ThrowsAsync<PostgresException>(() => store.EnrollAsync(collection, Model, [NewFace("gina")], Unrecordable));
        await Assert.ThrowsAsync<PostgresException>(() => store.DeleteFaceAsync(frank[0].FaceId, Unrecordable));
        await Assert.ThrowsAsync<PostgresException>(() => store.DeleteSubjectAsync(collection, SubjectId.Parse("frank"), Unrecordable));
        await Assert.ThrowsAsync<PostgresException>(() => store.DeleteCollectionAsync(collection, Unrecordable));

        Assert.Null(await store.GetSubjectAsync(collection, SubjectId.Parse("gina")));
        Assert.Equal(frank.Select(f => f.FaceId).Order(), (await store.GetSubjectFacesAsync(collection, SubjectId.Parse("frank"))).Select(f => f.FaceId).Order());
        Assert.Single(await audit.QueryAsync([collection], 10));

        var (keyId, text) = ApiKeySecret.Generate();
        var key = new ApiKey(keyId, "never stored", ApiKeyScope.Parse(["read"], [collection]), DateTimeOffset.UtcNow, "k1", null, null, 6000);
        await Assert.ThrowsAsync<PostgresException>(() => keys.CreateAsync(key, ApiKeySecret.Hash(text), Unrecordable));
        Assert.Null(await keys.FindAsync(keyId));
        await keys.CreateAsync(key, ApiKeySecret.Hash(text), Writer);
        await Assert.ThrowsAsync<PostgresException>(() => keys.RevokeAsync(keyId, Unrecordable));
        Assert.Null((await keys.FindAsync(keyId))!.Key.RevokedAt);
        Assert.Equal([AuditActions.CreateKey, AuditActions.Enroll], (await audit.QueryAsync([collection], 10)).Select(r => r.Entry.Action));
    }

    [Fact]
    public async Task Key_records_are_filed_under_the_key_s_only_collection()
    {
        var collection = SyntheticFaces.NewCollection();
        var (oneId, oneText) = ApiKeySecret.Generate();
        var (allId, allText) = ApiKeySecret.Generate();
        await keys.CreateAsync(new ApiKey(oneId, "one", ApiKeyScope.Parse(["write"], [collection]), DateTimeOffset.UtcNow, "k1", null, null, 6000), ApiKeySecret.Hash(oneText), Writer);
        await keys.CreateAsync(new ApiKey(allId, "all", ApiKeyScope.Parse(["read"], ["*"]), DateTimeOffset.UtcNow, "k1", null, null, 6000), ApiKeySecret.Hash(allText), Writer);
        Assert.True(await keys.RevokeAsync(oneId, Writer));

        var filed = await audit.QueryAsync([collection], 10);
        Assert.Equal([(AuditActions.RevokeKey, oneId), (AuditActions.CreateKey, oneId)], filed.Select(r => (r.Entry.Action, r.Entry.TargetKeyId)));
        var all = Assert.Single(await audit.QueryAsync(null, AuditService.MaxLimit), r => r.Entry.TargetKeyId == allId);
        Assert.Null(all.Entry.Collection);
    }

    [Fact]
    public async Task An_unreachable_database_is_store_unavailable()
    {
        await using var dataSource = ServiceCollectionExtensions.CreateDataSource(
            TestDatabase.Options("Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=2"));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => new PgApiKeyStore(new PgDatabase(dataSource)).FindAsync("0123456789abcdef"));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => new PgAuditLog(new PgDatabase(dataSource)).QueryAsync(null, 1));
    }
}
