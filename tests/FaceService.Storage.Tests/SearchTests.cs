using FaceService.Core.Embeddings;
using FaceService.Core.Naming;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>Identify's search: the nearest subjects by their templates (the normalised mean of their faces, migration 0008).</summary>
[Collection(StoreCollection.Name)]
public sealed class SearchTests(StoreFixture fixture)
{
    private const string Model = "model-a";
    // The database averages in float32 as C# does, but not in the same order: a code may differ in a rounding step.
    private const float TemplateTolerance = 2e-4f;
    private readonly PgFaceStore store = fixture.Store;
    private readonly SyntheticFaces faces = new(seed: 11);

    /// <summary>Enrolls subjects with several faces each; returns the subject centres.</summary>
    private async Task<Dictionary<string, float[]>> EnrollSubjectsAsync(CollectionName collection, string model, int subjects, int facesPerSubject)
    {
        var centres = Enumerable.Range(0, subjects).ToDictionary(i => $"s{i:D3}", _ => faces.NewSubject());
        var batch = centres.SelectMany(c => Enumerable.Range(0, facesPerSubject).Select(_ => faces.Face(c.Key, faces.CodeNear(c.Value))));
        await store.EnrollAsync(collection, model, batch.ToList());
        return centres;
    }

    /// <summary>Brute force in C#: every subject's template from its stored codes, nearest first.</summary>
    private async Task<List<SubjectMatch>> ExactSearchAsync(CollectionName collection, string model, sbyte[] query, int k, PgFaceStore? source = null)
    {
        var codes = await (source ?? store).GetCodesAsync(collection, model, null);
        return codes.GroupBy(c => c.Subject)
            .Select(g => new SubjectMatch(g.Key!, g.Count(), SubjectTemplate.Distance(faces.Quantizer, query, SubjectTemplate.Combine(faces.Quantizer, g.Select(c => c.Code).ToList()))))
            .OrderBy(m => m.Distance).ThenBy(m => m.Subject, StringComparer.Ordinal)
            .Take(k)
            .ToList();
    }

    private static void AssertSame(IReadOnlyList<SubjectMatch> expected, IReadOnlyList<SubjectMatch> found)
    {
        Assert.Equal(expected.Count, found.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Subject, expected[i].Faces), (found[i].Subject, found[i].Faces));
            Assert.Equal(expected[i].Distance, found[i].Distance, TemplateTolerance);
        }
    }

    [Fact]
    public async Task Search_returns_the_nearest_subjects_by_their_templates_as_exact_search_does()
    {
        var collection = SyntheticFaces.NewCollection();
        var centres = await EnrollSubjectsAsync(collection, Model, subjects: 60, facesPerSubject: 3);
        await EnrollSubjectsAsync(collection, Model, subjects: 10, facesPerSubject: 1);
        var queries = centres.Values.Take(10).Select(faces.CodeNear).Concat(Enumerable.Range(0, 10).Select(_ => faces.CodeNear(faces.NewSubject())));

        foreach (var query in queries)
            AssertSame(await ExactSearchAsync(collection, Model, query, k: 10), await store.SearchSubjectsAsync(collection, Model, query, k: 10));
    }

    [Fact]
    public async Task A_query_near_a_subject_finds_it_first_and_its_nearest_face()
    {
        var collection = SyntheticFaces.NewCollection();
        var centres = await EnrollSubjectsAsync(collection, Model, subjects: 20, facesPerSubject: 4);
        var query = faces.CodeNear(centres["s005"]);

        var found = await store.SearchSubjectsAsync(collection, Model, query, k: 3);

        Assert.Equal(3, found.Count);
        Assert.Equal(("s005", 4), (found[0].Subject, found[0].Faces));
        Assert.True(found[0].Distance < found[1].Distance && found[1].Distance <= found[2].Distance);
        var own = await store.GetSubjectCodesAsync(collection, Model, SubjectId.Parse("s005"));
        // The template of four photos is nearer to a new photo than the nearest of them.
        Assert.True(found[0].Distance < own.Min(c => faces.Quantizer.SquaredDistance(query, c.Code)));

        var nearestFaces = await store.NearestFacesAsync(collection, Model, query, found.Select(f => f.Subject).ToList());
        Assert.Equal(own.MinBy(c => faces.Quantizer.SquaredDistance(query, c.Code))!.FaceId, nearestFaces["s005"]);
        Assert.Equal(found.Select(f => f.Subject).Order(), nearestFaces.Keys.Order());
        Assert.Empty(await store.NearestFacesAsync(collection, Model, query, []));
    }

    [Fact]
    public async Task A_subject_with_many_faces_is_one_candidate()
    {
        var collection = SyntheticFaces.NewCollection();
        var crowd = faces.NewSubject();
        await store.EnrollAsync(collection, Model, Enumerable.Range(0, 120).Select(_ => faces.Face("crowd", faces.CodeNear(crowd))).ToList());
        await EnrollSubjectsAsync(collection, Model, subjects: 5, facesPerSubject: 1);

        var found = await store.SearchSubjectsAsync(collection, Model, faces.CodeNear(crowd), k: 4);

        Assert.Equal(4, found.Count);
        Assert.Equal(("crowd", 120), (found[0].Subject, found[0].Faces));
        Assert.Equal(4, found.Select(m => m.Subject).Distinct().Count());
    }

    [Fact]
    public async Task Asking_for_more_subjects_than_stored_returns_each_subject_once()
    {
        var collection = SyntheticFaces.NewCollection();
        await EnrollSubjectsAsync(collection, Model, subjects: 4, facesPerSubject: 3);

        var found = await store.SearchSubjectsAsync(collection, Model, faces.CodeNear(faces.NewSubject()), k: 50);

        Assert.Equal(4, found.Count);
        Assert.Equal(4, found.Select(m => m.Subject).Distinct().Count());
    }

    [Fact]
    public async Task Search_sees_only_its_collection_and_model()
    {
        var collection = SyntheticFaces.NewCollection();
        var other = SyntheticFaces.NewCollection();
        var centre = faces.NewSubject();
        await store.EnrollAsync(collection, Model, [faces.Face("mine", faces.CodeNear(centre))]);
        // Nearer copies of the same face under another collection and another model must stay invisible.
        var query = faces.CodeNear(centre);
        await store.EnrollAsync(other, Model, [faces.Face("other-collection", query)]);
        await store.EnrollAsync(collection, "model-b", [faces.Face("other-model", query)]);

        var found = await store.SearchSubjectsAsync(collection, Model, query, k: 10);

        Assert.Equal(["mine"], found.Select(m => m.Subject));
        Assert.Equal(["other-model"], (await store.SearchSubjectsAsync(collection, "model-b", query, k: 10)).Select(m => m.Subject));
        Assert.Empty(await store.SearchSubjectsAsync(SyntheticFaces.NewCollection(), Model, query, k: 10));
        Assert.Equal(["mine"], (await store.NearestFacesAsync(collection, Model, query, ["mine", "other-collection", "other-model"])).Keys);
    }

    [Fact]
    public async Task A_collection_crowded_out_of_the_index_scan_by_another_still_gets_k_subjects()
    {
        // Alone in the index, a collection's plain index scan returns all the candidates. Once another collection's
        // subjects crowd the nearest places of ef_search, that scan comes back short and the search has to repeat with
        // pgvector's iterative scan. Big enough (20k templates, analyzed) that the planner takes the HNSW index.
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var isolated = schema.Store;
        var collection = SyntheticFaces.NewCollection();
        var centres = Enumerable.Range(0, 20_000).Select(_ => faces.NewSubject()).ToArray();
        await schema.BulkLoader.BulkLoadAsync(collection, Model, centres.Select((c, s) => faces.Face($"s{s:D5}", faces.CodeNear(c))).ToList());
        await using (var analyze = schema.DataSource.CreateCommand("ANALYZE subject_templates")) await analyze.ExecuteNonQueryAsync();
        var queried = centres.Take(10).ToArray();
        var queries = queried.Select(faces.CodeNear).ToList();

        async Task AssertFoundAsync()
        {
            foreach (var query in queries)
            {
                var found = await isolated.SearchSubjectsAsync(collection, Model, query, k: 10, efSearch: 64);
                var exact = await ExactSearchAsync(collection, Model, query, 10, isolated);
                Assert.Equal(10, found.Count);
                AssertSame(exact.Take(1).ToList(), found.Take(1).ToList());
            }
        }

        await AssertFoundAsync();
        await schema.BulkLoader.BulkLoadAsync(SyntheticFaces.NewCollection(), Model,
            queried.SelectMany((c, s) => Enumerable.Range(0, 100).Select(i => faces.Face($"crowd{s}-{i}", faces.CodeNear(c)))).ToList());
        await AssertFoundAsync();
    }

    [Fact]
    public async Task A_gallery_within_the_exact_limit_is_searched_exactly_whatever_the_graph()
    {
        // A small collection beside a larger one in the same graph: searched through the index with ef_search 1 it gets
        // whatever the walk finds; within Storage:ExactSearchMaxSubjects it is scanned, and the answer is the exact one.
        await using var schema = await IsolatedSchema.CreateAsync(o => o.ExactSearchMaxSubjects = 200);
        await schema.Migrator.MigrateAsync();
        var large = SyntheticFaces.NewCollection();
        var small = SyntheticFaces.NewCollection();
        var centres = Enumerable.Range(0, 3_000).Select(_ => faces.NewSubject()).ToArray();
        await schema.BulkLoader.BulkLoadAsync(large, Model, centres.Select((c, s) => faces.Face($"l{s:D4}", faces.CodeNear(c))).ToList());
        await schema.BulkLoader.BulkLoadAsync(small, Model, centres.Take(200).Select((c, s) => faces.Face($"s{s:D3}", faces.CodeNear(c))).ToList());
        await using (var analyze = schema.DataSource.CreateCommand("ANALYZE subject_templates")) await analyze.ExecuteNonQueryAsync();

        foreach (var query in centres.Take(5).Select(faces.CodeNear))
        {
            var exact = await ExactSearchAsync(small, Model, query, 10, schema.Store);
            AssertSame(exact, await schema.Store.SearchSubjectsAsync(small, Model, query, k: 10, efSearch: 1));
        }
    }
}
