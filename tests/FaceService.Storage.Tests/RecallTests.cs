using System.Diagnostics;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;
using Xunit.Abstractions;

namespace FaceService.Storage.Tests;

/// <summary>
/// The HNSW path against exact search at a realistic size: 100k faces (20k subjects × 5, so 20k templates), bulk-loaded
/// with binary COPY, index built by the migrator; 200 queries, mostly new photos (samples) of enrolled subjects, some of
/// strangers.
/// </summary>
public sealed class RecallTests(ITestOutputHelper output)
{
    private const string Model = "recall-model";
    private const int Subjects = 20_000;
    private const int FacesPerSubject = 5;
    private const int GenuineQueries = 160;
    private const int StrangerQueries = 40;
    private const double RequiredRecallAtOne = 0.99;

    [Fact]
    public async Task Recall_at_one_against_exact_search_is_at_least_99_percent_at_100k_faces_of_20k_subjects()
    {
        var faces = new SyntheticFaces(seed: 2024);
        var collection = SyntheticFaces.NewCollection();
        await using var schema = await IsolatedSchema.CreateAsync(o => o.IndexBuildMemoryMb = 1024);
        await schema.Migrator.MigrateAsync();

        var centres = Enumerable.Range(0, Subjects).Select(_ => faces.NewSubject()).ToArray();
        var stored = new List<StoredCode>(Subjects * FacesPerSubject);
        for (var s = 0; s < Subjects; s++)
            for (var f = 0; f < FacesPerSubject; f++)
                stored.Add(new StoredCode(Guid.CreateVersion7(), $"subject-{s:D5}", faces.CodeNear(centres[s]), faces.RandomSha256()));

        var sameSubject = Enumerable.Range(0, 1000).Average(i => faces.Quantizer.SquaredDistance(stored[i * FacesPerSubject].Code, stored[i * FacesPerSubject + 1].Code));
        var otherSubject = Enumerable.Range(0, 1000).Average(i => faces.Quantizer.SquaredDistance(stored[i * FacesPerSubject].Code, stored[(i + 1) * FacesPerSubject].Code));
        output.WriteLine($"mean squared distance: same subject {sameSubject:F2}, other subject {otherSubject:F2}");

        // Loading into an indexed table inserts into the graph row by row; building it afterwards is several times faster.
        var clock = Stopwatch.StartNew();
        await schema.ScalarAsync<object>($"DROP INDEX {DatabaseMigrator.SearchIndexName}");
        await schema.BulkLoader.BulkLoadAsync(collection, Model, stored.Select(c => faces.Face(c.Subject!, c.Code)));
        var loadTime = clock.Elapsed;
        clock.Restart();
        await schema.Migrator.MigrateAsync();
        var buildTime = clock.Elapsed;
        await schema.ScalarAsync<object>("ANALYZE subject_templates");
        output.WriteLine($"COPY {stored.Count} faces: {loadTime.TotalSeconds:F1} s; HNSW build: {buildTime.TotalSeconds:F1} s");

        var queries = Enumerable.Range(0, GenuineQueries).Select(_ => faces.CodeNear(centres[faces.NextIndex(Subjects)]))
            .Concat(Enumerable.Range(0, StrangerQueries).Select(_ => faces.CodeNear(faces.NewSubject())))
            .ToArray();
        // Exact reference: brute force over every subject's template with the quantizer's distance (the database's
        // template may differ from this one by a rounding step of a component).
        var templates = stored.Chunk(FacesPerSubject).Select(s => SubjectTemplate.Combine(faces.Quantizer, s.Select(c => c.Code).ToList())).ToArray();
        var exactBest = new float[queries.Length];
        Parallel.For(0, queries.Length, q =>
        {
            var best = float.MaxValue;
            foreach (var template in templates) best = Math.Min(best, SubjectTemplate.Distance(faces.Quantizer, queries[q], template));
            exactBest[q] = best;
        });

        clock.Restart();
        var hits = new bool[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var found = await schema.Store.SearchSubjectsAsync(collection, Model, queries[q], k: 1);
            hits[q] = found.Count == 1 && found[0].Distance <= exactBest[q] + 2e-4f;
        }
        var searchTime = clock.Elapsed;

        var genuineRecall = hits.Take(GenuineQueries).Count(h => h) / (double)GenuineQueries;
        var strangerRecall = hits.Skip(GenuineQueries).Count(h => h) / (double)StrangerQueries;
        var recall = hits.Count(h => h) / (double)hits.Length;
        output.WriteLine($"recall@1: {recall:P1} (genuine {genuineRecall:P1}, strangers {strangerRecall:P1}); " +
                         $"{queries.Length} searches in {searchTime.TotalMilliseconds:F0} ms (ef_search {schema.Options.EfSearch})");
        Assert.True(recall >= RequiredRecallAtOne, $"recall@1 {recall:P1} < {RequiredRecallAtOne:P0}");
    }
}
