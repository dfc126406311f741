using FaceService.Core.Naming;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

[Collection(StoreCollection.Name)]
public sealed class SearchTests(StoreFixture fixture)
{
    private const string Model = "model-a";
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

    /// <summary>Brute force in C#: every stored code of the collection and model, best face per subject, nearest first.</summary>
    private async Task<List<FaceMatch>> ExactSearchAsync(CollectionName collection, string model, sbyte[] query, int k, PgFaceStore? source = null)
    {
        var codes = await (source ?? store).GetCodesAsync(collection, model, null);
        return codes
            .Select(c => new FaceMatch(c.FaceId, c.Subject, faces.Quantizer.SquaredDistance(query, c.Code)))
            .GroupBy(m => m.Subject)
            .Select(g => g.OrderBy(m => m.Distance).ThenBy(m => m.FaceId).First())
            .OrderBy(m => m.Distance).ThenBy(m => m.FaceId)
            .Take(k)
            .ToList();
    }

    [Fact]
    public async Task Search_returns_the_nearest_subjects_with_their_best_face_as_exact_search_does()
    {
        var collection = SyntheticFaces.NewCollection();
        var centres = await EnrollSubjectsAsync(collection, Model, subjects: 60, facesPerSubject: 3);
        var queries = centres.Values.Take(10).Select(faces.CodeNear).Concat(Enumerable.Range(0, 10).Select(_ => faces.CodeNear(faces.NewSubject())));

        foreach (var query in queries)
        {
            var found = await store.SearchSubjectsAsync(collection, Model, query, k: 10);
            var exact = await ExactSearchAsync(collection, Model, query, k: 10);
            Assert.Equal(exact, found);
        }
    }

    [Fact]
    public async Task A_query_near_a_subject_finds_it_first_with_its_nearest_face()
    {
        var collection = SyntheticFaces.NewCollection();
        var centres = await EnrollSubjectsAsync(collection, Model, subjects: 20, facesPerSubject: 4);
        var query = faces.CodeNear(centres["s005"]);

        var found = await store.SearchSubjectsAsync(collection, Model, query, k: 3);

        Assert.Equal(3, found.Count);
        Assert.Equal("s005", found[0].Subject);
        var own = await store.GetSubjectCodesAsync(collection, Model, SubjectId.Parse("s005"));
        var nearestOwn = own.MinBy(c => faces.Quantizer.SquaredDistance(query, c.Code))!;
        Assert.Equal(nearestOwn.FaceId, found[0].FaceId);
        Assert.Equal(faces.Quantizer.SquaredDistance(query, nearestOwn.Code), found[0].Distance);
        Assert.True(found[0].Distance < found[1].Distance && found[1].Distance <= found[2].Distance);
    }

    [Fact]
    public async Task A_subject_with_many_near_faces_does_not_crowd_out_the_other_subjects()
    {
        var collection = SyntheticFaces.NewCollection();
        var crowd = faces.NewSubject();
        // 120 faces of one subject around the query use up the first candidate window (k * 4 + 16 faces).
        await store.EnrollAsync(collection, Model, Enumerable.Range(0, 120).Select(_ => faces.Face("crowd", faces.CodeNear(crowd))).ToList());
        await EnrollSubjectsAsync(collection, Model, subjects: 5, facesPerSubject: 1);

        var found = await store.SearchSubjectsAsync(collection, Model, faces.CodeNear(crowd), k: 4);

        Assert.Equal(4, found.Count);
        Assert.Equal("crowd", found[0].Subject);
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
    }

    [Fact]
    public async Task A_collection_crowded_out_of_the_index_scan_by_another_still_gets_k_subjects()
    {
        // Alone in the index, a collection's plain index scan returns all the candidates. Once another collection's
        // faces crowd the nearest places of ef_search, that scan comes back short and the search has to repeat with
        // pgvector's iterative scan. Big enough (20k faces, analyzed) that the planner takes the HNSW index.
        await using var schema = await IsolatedSchema.CreateAsync();
        await schema.Migrator.MigrateAsync();
        var isolated = schema.Store;
        var collection = SyntheticFaces.NewCollection();
        var centres = Enumerable.Range(0, 4000).Select(_ => faces.NewSubject()).ToArray();
        await schema.BulkLoader.BulkLoadAsync(collection, Model,
            centres.SelectMany((c, s) => Enumerable.Range(0, 5).Select(_ => faces.Face($"s{s:D4}", faces.CodeNear(c)))).ToList());
        await using (var analyze = schema.DataSource.CreateCommand("ANALYZE faces")) await analyze.ExecuteNonQueryAsync();
        var queried = centres.Take(10).ToArray();
        var queries = queried.Select(faces.CodeNear).ToList();

        async Task AssertFoundAsync()
        {
            foreach (var query in queries)
            {
                var found = await isolated.SearchSubjectsAsync(collection, Model, query, k: 10, efSearch: 64);
                var exact = await ExactSearchAsync(collection, Model, query, 10, isolated);
                Assert.Equal(10, found.Count);
                Assert.Equal(exact[0], found[0]);
            }
        }

        await AssertFoundAsync();
        await schema.BulkLoader.BulkLoadAsync(SyntheticFaces.NewCollection(), Model,
            queried.SelectMany((c, s) => Enumerable.Range(0, 100).Select(_ => faces.Face($"crowd{s}", faces.CodeNear(c)))).ToList());
        await AssertFoundAsync();
    }
}
