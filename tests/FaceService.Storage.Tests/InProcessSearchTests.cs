using FaceService.Core.Embeddings;
using FaceService.Core.Naming;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FaceService.Storage.Tests;

/// <summary>
/// Large galleries searched through the in-process graph (<see cref="SubjectGraphSync"/>, migration 0011): the same
/// answers as the exact scan, and every write visible to the next search, before the graph has folded it in.
/// </summary>
public sealed class InProcessSearchTests
{
    private const string Model = "model-a";
    private const int MinSubjects = 100;
    private readonly SyntheticFaces _faces = new(seed: 31);

    private static Task<IsolatedSchema> SchemaAsync() => IsolatedSchema.CreateAsync(o =>
    {
        o.ExactSearchMaxSubjects = 0;
        o.InProcessSearchMinSubjects = MinSubjects;
    });

    /// <summary>A migrated schema with one gallery of that many subjects, its graph built.</summary>
    private async Task<(IsolatedSchema Schema, CollectionName Collection, float[][] Centres, SubjectGraphSync Sync)> GraphedGalleryAsync(int subjects)
    {
        var schema = await SchemaAsync();
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        var centres = await EnrollAsync(schema, collection, subjects, "l");
        var sync = Sync(schema);
        await sync.RefreshAsync(discover: true, CancellationToken.None);
        Assert.Equal(subjects, schema.Graphs.Subjects);
        return (schema, collection, centres, sync);
    }

    private static SubjectGraphSync Sync(IsolatedSchema schema) =>
        new(schema.Database, schema.Graphs, new EmbeddingQuantizer(), Options.Create(schema.Options), NullLogger<SubjectGraphSync>.Instance);

    /// <summary>Enrolls subjects of two faces each; returns their centres.</summary>
    private async Task<float[][]> EnrollAsync(IsolatedSchema schema, CollectionName collection, int subjects, string prefix)
    {
        var centres = Enumerable.Range(0, subjects).Select(_ => _faces.NewSubject()).ToArray();
        await schema.Store.EnrollAsync(collection, Model,
            centres.SelectMany((c, s) => Enumerable.Range(0, 2).Select(_ => _faces.Face($"{prefix}{s:D4}", _faces.CodeNear(c)))).ToList());
        return centres;
    }

    private static async Task AssertExactAsync(IsolatedSchema schema, CollectionName collection, IEnumerable<sbyte[]> queries)
    {
        foreach (var query in queries)
        {
            var found = await schema.Store.SearchSubjectsAsync(collection, Model, query, k: 10);
            var exact = await schema.Search.ExactSearchSubjectsAsync(collection, Model, query, 10);
            Assert.Equal(exact.Select(m => (m.Subject, m.Faces)), found.Select(m => (m.Subject, m.Faces)));
            Assert.Equal(exact.Select(m => m.Distance), found.Select(m => m.Distance));
        }
    }

    [Fact]
    public async Task A_large_gallery_is_searched_through_its_graph_with_the_exact_answers()
    {
        await using var schema = await SchemaAsync();
        await schema.Migrator.MigrateAsync();
        CollectionName large = SyntheticFaces.NewCollection(), small = SyntheticFaces.NewCollection();
        var centres = await EnrollAsync(schema, large, 240, "l");
        var smallCentres = await EnrollAsync(schema, small, 30, "s");

        await Sync(schema).RefreshAsync(discover: true, CancellationToken.None);

        Assert.Equal(240, schema.Graphs.Subjects);
        await AssertExactAsync(schema, large, centres.Take(20).Select(_faces.CodeNear).Concat(Enumerable.Range(0, 5).Select(_ => _faces.CodeNear(_faces.NewSubject()))));
        Assert.Equal(25, schema.Graphs.Searches);
        // The small collection has no graph: its searches go to the database.
        await AssertExactAsync(schema, small, smallCentres.Take(5).Select(_faces.CodeNear));
        Assert.Equal(25, schema.Graphs.Searches);
    }

    [Fact]
    public async Task Writes_after_the_build_are_answered_at_once_and_folded_in_later()
    {
        var (schema, collection, centres, sync) = await GraphedGalleryAsync(150);
        await using var dropped = schema;

        // Enrolled, given another face, deleted: none of it in the graph yet.
        var newcomer = _faces.NewSubject();
        await schema.Store.EnrollAsync(collection, Model, [_faces.Face("newcomer", _faces.CodeNear(newcomer))]);
        await schema.Store.EnrollAsync(collection, Model, [_faces.Face("l0001", _faces.CodeNear(centres[1]))]);
        Assert.Equal(2, await schema.Store.DeleteSubjectAsync(collection, SubjectId.Parse("l0002")));

        var found = await schema.Store.SearchSubjectsAsync(collection, Model, _faces.CodeNear(newcomer), k: 3);
        Assert.Equal("newcomer", found[0].Subject);
        found = await schema.Store.SearchSubjectsAsync(collection, Model, _faces.CodeNear(centres[1]), k: 3);
        Assert.Equal(("l0001", 3), (found[0].Subject, found[0].Faces));
        found = await schema.Store.SearchSubjectsAsync(collection, Model, _faces.CodeNear(centres[2]), k: 10);
        Assert.DoesNotContain(found, m => m.Subject == "l0002");
        Assert.Equal(3, schema.Graphs.Searches);
        await AssertExactAsync(schema, collection, new[] { newcomer, centres[1], centres[2], centres[3] }.Select(_faces.CodeNear));

        // Folded in: the newcomer and l0001's new template; then, the sizes differing, l0002 taken out.
        await sync.RefreshAsync(discover: true, CancellationToken.None);
        Assert.Equal(151, schema.Graphs.Subjects);
        await sync.RefreshAsync(discover: true, CancellationToken.None);
        Assert.Equal(150, schema.Graphs.Subjects);
        await AssertExactAsync(schema, collection, new[] { newcomer, centres[1], centres[2], centres[3] }.Select(_faces.CodeNear));
    }

    [Fact]
    public async Task Past_the_cap_of_rows_waiting_for_the_graph_the_database_index_answers_until_they_are_folded_in()
    {
        var (schema, collection, _, sync) = await GraphedGalleryAsync(150);
        await using var dropped = schema;
        // A transaction left open elsewhere in the cluster (a long index build, a dump) must not keep the rows written
        // after it waiting beside the graph.
        await using var idle = await schema.DataSource.OpenConnectionAsync();
        await using var open = await idle.BeginTransactionAsync();
        await using (var xid = new Npgsql.NpgsqlCommand("SELECT pg_current_xact_id()", idle, open)) await xid.ExecuteScalarAsync();
        var loaded = Enumerable.Range(0, SubjectGraphSync.MaxUnfoldedRows).Select(_ => _faces.NewSubject()).ToArray();
        await schema.BulkLoader.BulkLoadAsync(collection, Model, loaded.Select((c, i) => _faces.Face($"b{i:D5}", _faces.CodeNear(c))).ToList());

        var found = await schema.Store.SearchSubjectsAsync(collection, Model, _faces.CodeNear(loaded[7]), k: 1);
        Assert.Equal("b00007", found[0].Subject);
        Assert.Equal(0, schema.Graphs.Searches);

        await sync.RefreshAsync(discover: false, CancellationToken.None);
        Assert.Equal(150 + SubjectGraphSync.MaxUnfoldedRows, schema.Graphs.Subjects);
        found = await schema.Store.SearchSubjectsAsync(collection, Model, _faces.CodeNear(loaded[9]), k: 1);
        Assert.Equal("b00009", found[0].Subject);
        Assert.Equal(1, schema.Graphs.Searches);
    }

    [Fact]
    public async Task A_gallery_that_falls_below_the_size_loses_its_graph()
    {
        var (schema, collection, _, sync) = await GraphedGalleryAsync(MinSubjects);
        await using var dropped = schema;

        await schema.Store.DeleteSubjectAsync(collection, SubjectId.Parse("l0000"));
        await sync.RefreshAsync(discover: true, CancellationToken.None);

        Assert.Equal(0, schema.Graphs.Subjects);
        var before = schema.Graphs.Searches;
        await AssertExactAsync(schema, collection, [_faces.CodeNear(_faces.NewSubject())]);
        Assert.Equal(before, schema.Graphs.Searches);
    }

    [Fact]
    public async Task A_partition_move_keeps_the_rows_writers_so_the_graph_has_nothing_to_fold_in()
    {
        await using var schema = await SchemaAsync();
        await schema.Migrator.MigrateAsync();
        var collection = SyntheticFaces.NewCollection();
        await EnrollAsync(schema, collection, 120, "l");
        var before = await schema.ScalarAsync<string>(
            $"SELECT string_agg(subject || ':' || written_by::text, ',' ORDER BY subject) FROM subject_templates WHERE collection = '{collection.Value}'");

        Assert.True(await new PgCollectionPartitions(schema.Database, Options.Create(schema.Options)).GiveOwnPartitionAsync(collection));

        Assert.Equal(before, await schema.ScalarAsync<string>(
            $"SELECT string_agg(subject || ':' || written_by::text, ',' ORDER BY subject) FROM subject_templates WHERE collection = '{collection.Value}'"));
    }
}
