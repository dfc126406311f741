using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>
/// GetGallerySizeAsync reads the counts that triggers keep (migrations 0005, 0008): they must equal a count of the rows
/// and of their subjects after every kind of write, per collection and model.
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
            var rows = await store.GetCodesAsync(collection, model, null);
            Assert.Equal(new GallerySize(rows.Select(r => r.Subject).Distinct().Count(), rows.Count), await store.GetGallerySizeAsync(collection, model));
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
        Assert.Equal(0, (await store.GetGallerySizeAsync(collection, Model)).Faces);

        var alice = NewFace("alice");
        var enrolled = await store.EnrollAsync(collection, Model, [alice, NewFace("alice"), NewFace("bob")], Actor);
        await store.EnrollAsync(collection, "model-b", [NewFace("bob")], Actor);
        Assert.Equal(3, (await store.GetGallerySizeAsync(collection, Model)).Faces);
        Assert.Equal(1, (await store.GetGallerySizeAsync(collection, "model-b")).Faces);

        // An idempotent repeat inserts nothing and counts nothing.
        await store.EnrollAsync(collection, Model, [alice], Actor);
        Assert.Equal(3, (await store.GetGallerySizeAsync(collection, Model)).Faces);

        await fixture.BulkLoader.BulkLoadAsync(collection, Model, Enumerable.Range(0, 50).Select(i => NewFace($"bulk-{i % 7}")));
        Assert.Equal(53, (await store.GetGallerySizeAsync(collection, Model)).Faces);
        await AssertCountsAsync(collection);

        Assert.True(await store.DeleteFaceAsync(enrolled[0].FaceId, Actor));
        Assert.Equal(2, await store.DeleteSubjectAsync(collection, SubjectId.Parse("alice"), Actor) + 1);
        await AssertCountsAsync(collection);
        Assert.Equal(51, (await store.GetGallerySizeAsync(collection, Model)).Faces);

        await store.DeleteCollectionAsync(collection, Actor);
        Assert.Equal(0, (await store.GetGallerySizeAsync(collection, Model)).Faces);
        Assert.Equal(0, (await store.GetGallerySizeAsync(collection, "model-b")).Faces);
        // An emptied gallery leaves no row behind.
        Assert.Equal(0L, await fixture.Schema.ScalarAsync<long>($"SELECT count(*) FROM gallery_sizes WHERE collection = '{collection}'"));
    }

    [Fact]
    public async Task Concurrent_enrollments_into_one_new_collection_are_all_counted()
    {
        var collection = SyntheticFaces.NewCollection();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.EnrollAsync(collection, Model, [NewFace($"p{i}"), NewFace($"p{i}")], Actor)));
        Assert.Equal(16, (await store.GetGallerySizeAsync(collection, Model)).Faces);
    }

    [Fact]
    public async Task A_schema_with_faces_before_the_migrations_starts_with_their_counts_and_templates()
    {
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        var x = faces.NewSubject();
        var stored = await schema.Store.EnrollAsync(collection, Model, [faces.Face("x", faces.CodeNear(x)), faces.Face("x", faces.CodeNear(x)), NewFace("y")]);
        // As if the faces had been written before 0005 and 0008: what those made is dropped, and they run again, in order.
        await using (var command = schema.DataSource.CreateCommand("""
                         BEGIN;
                         DROP FUNCTION subject_templates_after_change(), subject_templates_clear(), gallery_subjects_add(), gallery_subjects_remove() CASCADE;
                         DROP TABLE subject_templates;
                         DROP FUNCTION refresh_subject_templates(text[], text[], text[], boolean), subject_template(halfvec[]);
                         DROP FUNCTION gallery_sizes_add(), gallery_sizes_remove(), gallery_sizes_clear() CASCADE;
                         DROP TABLE gallery_sizes;
                         DROP INDEX faces_collection_model_subject;
                         CREATE INDEX faces_collection_model ON faces (collection, model_id);
                         DELETE FROM schema_migrations WHERE version IN (5, 8);
                         COMMIT;
                         """))
            await command.ExecuteNonQueryAsync();
        Assert.Equal(2, await schema.Migrator.MigrateAsync());

        Assert.Equal(new GallerySize(2, 3), await schema.Store.GetGallerySizeAsync(collection, Model));
        var xCodes = (await schema.Store.GetSubjectCodesAsync(collection, Model, SubjectId.Parse("x"))).Select(c => c.Code).ToList();
        var found = await schema.Store.SearchSubjectsAsync(collection, Model, xCodes[0], k: 2);
        Assert.Equal(("x", 2), (found[0].Subject, found[0].Faces));
        Assert.Equal(Core.Embeddings.SubjectTemplate.Distance(faces.Quantizer, xCodes[0], Core.Embeddings.SubjectTemplate.Combine(faces.Quantizer, xCodes)), found[0].Distance, 1e-4f);
        Assert.Equal(stored.Count, (await schema.Store.GetCodesAsync(collection, Model, null)).Count);

        await using (var truncate = schema.DataSource.CreateCommand("TRUNCATE faces"))
            await truncate.ExecuteNonQueryAsync();
        Assert.Equal(default, await schema.Store.GetGallerySizeAsync(collection, Model));
        Assert.Empty(await schema.Store.SearchSubjectsAsync(collection, Model, xCodes[0], k: 2));
    }
}
