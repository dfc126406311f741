using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>
/// CountFacesAsync reads the count that triggers keep (migration 0005): it must equal a count of the rows after every
/// kind of write, per collection and model.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class GallerySizeTests(StoreFixture fixture)
{
    private const string Model = "model-a";
    private readonly PgFaceStore store = fixture.Store;
    private readonly SyntheticFaces faces = new(seed: 11);
    private static readonly AuditActor Actor = new("test", "test", null);

    private NewFace NewFace(string subject) => faces.Face(subject, faces.CodeNear(faces.NewSubject()));

    private async Task AssertCountsAsync(CollectionName collection)
    {
        foreach (var model in new[] { Model, "model-b" })
        {
            var rows = (await store.GetCodesAsync(collection, model, null)).Count;
            Assert.Equal(rows, await store.CountFacesAsync(collection, model));
        }
    }

    [Fact]
    public async Task Faces_are_counted_per_model_over_every_collection()
    {
        // Model ids of this test alone: the shared schema holds other tests' faces too.
        var (modelC, modelD) = ($"model-c-{Guid.NewGuid():N}", $"model-d-{Guid.NewGuid():N}");
        var (first, second) = (SyntheticFaces.NewCollection(), SyntheticFaces.NewCollection());
        await store.EnrollAsync(first, modelC, [NewFace("carol"), NewFace("dave")], Actor);
        await store.EnrollAsync(second, modelC, [NewFace("carol")], Actor);
        await store.EnrollAsync(second, modelD, [NewFace("erin")], Actor);

        var counts = await store.CountFacesByModelAsync();
        Assert.Equal(3, counts[modelC]);
        Assert.Equal(1, counts[modelD]);

        await store.DeleteCollectionAsync(second, Actor);
        counts = await store.CountFacesByModelAsync();
        Assert.Equal(2, counts[modelC]);
        Assert.False(counts.ContainsKey(modelD));
        await store.DeleteCollectionAsync(first, Actor);
    }

    [Fact]
    public async Task The_count_follows_enrollments_bulk_loads_and_every_kind_of_delete()
    {
        var collection = SyntheticFaces.NewCollection();
        Assert.Equal(0, await store.CountFacesAsync(collection, Model));

        var alice = NewFace("alice");
        var enrolled = await store.EnrollAsync(collection, Model, [alice, NewFace("alice"), NewFace("bob")], Actor);
        await store.EnrollAsync(collection, "model-b", [NewFace("bob")], Actor);
        Assert.Equal(3, await store.CountFacesAsync(collection, Model));
        Assert.Equal(1, await store.CountFacesAsync(collection, "model-b"));

        // An idempotent repeat inserts nothing and counts nothing.
        await store.EnrollAsync(collection, Model, [alice], Actor);
        Assert.Equal(3, await store.CountFacesAsync(collection, Model));

        await fixture.BulkLoader.BulkLoadAsync(collection, Model, Enumerable.Range(0, 50).Select(i => NewFace($"bulk-{i % 7}")));
        Assert.Equal(53, await store.CountFacesAsync(collection, Model));
        await AssertCountsAsync(collection);

        Assert.True(await store.DeleteFaceAsync(enrolled[0].FaceId, Actor));
        Assert.Equal(2, await store.DeleteSubjectAsync(collection, SubjectId.Parse("alice"), Actor) + 1);
        await AssertCountsAsync(collection);
        Assert.Equal(51, await store.CountFacesAsync(collection, Model));

        await store.DeleteCollectionAsync(collection, Actor);
        Assert.Equal(0, await store.CountFacesAsync(collection, Model));
        Assert.Equal(0, await store.CountFacesAsync(collection, "model-b"));
        // An emptied gallery leaves no row behind.
        Assert.Equal(0L, await fixture.Schema.ScalarAsync<long>($"SELECT count(*) FROM gallery_sizes WHERE collection = '{collection}'"));
    }

    [Fact]
    public async Task Concurrent_enrollments_into_one_new_collection_are_all_counted()
    {
        var collection = SyntheticFaces.NewCollection();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.EnrollAsync(collection, Model, [NewFace($"p{i}"), NewFace($"p{i}")], Actor)));
        Assert.Equal(16, await store.CountFacesAsync(collection, Model));
    }

    [Fact]
    public async Task A_schema_with_faces_before_the_migration_starts_with_their_count()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        await schema.Store.EnrollAsync(collection, Model, [NewFace("x"), NewFace("y")]);
        // As if the faces had been written before 0005: the count is rebuilt from the table by the migration's backfill.
        var backfill = DatabaseMigrator.Migrations.Single(m => m.Version == 5).Sql;
        await using (var command = schema.DataSource.CreateCommand(
                         "BEGIN; DROP TRIGGER faces_gallery_sizes_insert ON faces; DROP TRIGGER faces_gallery_sizes_delete ON faces; " +
                         "DROP TRIGGER faces_gallery_sizes_truncate ON faces; DROP TABLE gallery_sizes; " +
                         "DROP FUNCTION gallery_sizes_add(), gallery_sizes_remove(), gallery_sizes_clear(); " + backfill + "; COMMIT;"))
            await command.ExecuteNonQueryAsync();
        Assert.Equal(2, await schema.Store.CountFacesAsync(collection, Model));

        await using (var truncate = schema.DataSource.CreateCommand("TRUNCATE faces"))
            await truncate.ExecuteNonQueryAsync();
        Assert.Equal(0, await schema.Store.CountFacesAsync(collection, Model));
    }
}
