using FaceService.Core.Embeddings;
using FaceService.Core.Search;
using FaceService.Evaluation;

namespace FaceService.Core.Tests.Search;

public sealed class SubjectGraphTests
{
    private static readonly EmbeddingQuantizer Quantizer = new();

    /// <summary>One face each of new synthetic subjects, face-like (docs: SyntheticFaces): the data graph search is for.</summary>
    private static List<sbyte[]> FaceLikeCodes(int count, int seed)
    {
        var synthetic = new SyntheticFaces(seed);
        return Enumerable.Range(0, count).Select(_ => synthetic.CodeNear(synthetic.NewSubject())).ToList();
    }

    /// <summary>Another photo of the subject a stored code stands for.</summary>
    private static sbyte[] Near(sbyte[] code, SyntheticFaces synthetic) => synthetic.CodeNear(Quantizer.Dequantize(code));

    private static List<string> ExactNearest(IReadOnlyDictionary<string, sbyte[]> codes, sbyte[] query, int count) =>
        codes.OrderBy(c => Quantizer.SquaredDistance(query, c.Value)).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(count).Select(c => c.Key).ToList();

    private static SubjectGraph Build(IReadOnlyDictionary<string, sbyte[]> codes)
    {
        var graph = new SubjectGraph(m: 16, efConstruction: 100);
        foreach (var (subject, code) in codes) Assert.True(graph.Upsert(subject, code));
        return graph;
    }

    [Fact]
    public void Nearest_FindsTheExactNeighboursOfFaceLikeCodes()
    {
        // The last 50 subjects are not stored: strangers.
        var faces = FaceLikeCodes(20_050, seed: 3);
        var codes = faces.Take(20_000).Select((c, i) => (Subject: $"s{i}", Code: c)).ToDictionary(p => p.Subject, p => p.Code);
        var graph = Build(codes);
        var synthetic = new SyntheticFaces(seed: 5);
        var random = new Random(5);
        int found1 = 0, found10 = 0, queries = 100;
        for (var q = 0; q < queries; q++)
        {
            // Half new photos of stored subjects, half strangers.
            var query = q % 2 == 0 ? Near(codes[$"s{random.Next(codes.Count)}"], synthetic) : faces[20_000 + q / 2];
            var exact = ExactNearest(codes, query, 10);
            var answer = graph.Nearest(query, 10, ef: 100);
            Assert.Equal(10, answer.Count);
            // A subject as near as the exact k-th counts: ties are broken by float rounding.
            var tenth = Quantizer.SquaredDistance(query, codes[exact[^1]]) + 1e-4f;
            if (Quantizer.SquaredDistance(query, codes[answer[0]]) <= Quantizer.SquaredDistance(query, codes[exact[0]]) + 1e-4f) found1++;
            found10 += answer.Count(s => Quantizer.SquaredDistance(query, codes[s]) <= tenth);
        }
        Assert.True(found1 >= 0.99 * queries, $"recall@1 {found1}/{queries}");
        Assert.True(found10 >= 0.98 * 10 * queries, $"recall@10 {found10}/{10 * queries}");
        Assert.Equal(20_000, graph.Count);
        Assert.Equal(0, graph.RemovedNodes);
    }

    [Fact]
    public void Nearest_AnswersNearestFirstAndAtMostTheSubjectsThereAre()
    {
        var codes = FaceLikeCodes(30, seed: 7).Select((c, i) => (Subject: $"s{i}", Code: c)).ToDictionary(p => p.Subject, p => p.Code);
        var graph = Build(codes);
        var query = codes["s4"];
        var answer = graph.Nearest(query, 100, ef: 10);
        Assert.Equal(30, answer.Count);
        Assert.Equal(ExactNearest(codes, query, 30), answer);
        Assert.Empty(new SubjectGraph().Nearest(query, 5, ef: 10));
    }

    [Fact]
    public void Remove_TakesTheSubjectOutOfEveryAnswer_AndKeepsItsNodeAsARoute()
    {
        var codes = FaceLikeCodes(2_000, seed: 11).Select((c, i) => (Subject: $"s{i}", Code: c)).ToDictionary(p => p.Subject, p => p.Code);
        var graph = Build(codes);
        for (var i = 0; i < 200; i++) Assert.True(graph.Remove($"s{i}"));
        Assert.False(graph.Remove("s0"));
        Assert.False(graph.Remove("never-there"));
        Assert.Equal(1_800, graph.Count);
        Assert.Equal(200, graph.RemovedNodes);
        for (var i = 0; i < 200; i += 10)
        {
            // Its own code: the removed subject would be first.
            var answer = graph.Nearest(codes[$"s{i}"], 10, ef: 64);
            Assert.DoesNotContain($"s{i}", answer);
            var remaining = codes.Where(c => int.Parse(c.Key[1..]) >= 200).ToDictionary();
            Assert.Equal(ExactNearest(remaining, codes[$"s{i}"], 1)[0], answer[0]);
        }
    }

    [Fact]
    public void Upsert_MovesASubjectToItsNewCode_AndSkipsAnUnchangedOne()
    {
        var codes = FaceLikeCodes(1_001, seed: 13);
        var graph = new SubjectGraph();
        for (var i = 0; i < 1_000; i++) graph.Upsert($"s{i}", codes[i]);
        Assert.False(graph.Upsert("s5", codes[5]));
        Assert.Equal(0, graph.RemovedNodes);

        Assert.True(graph.Upsert("s5", codes[1_000]));
        Assert.Equal(1_000, graph.Count);
        Assert.Equal(1, graph.RemovedNodes);
        Assert.Equal("s5", graph.Nearest(codes[1_000], 1, ef: 32)[0]);
        Assert.DoesNotContain("s5", graph.Nearest(codes[5], 5, ef: 32));
    }

    [Fact]
    public void Upsert_RefusesCodesThatAreNoDirection()
    {
        var graph = new SubjectGraph();
        Assert.Throws<ArgumentException>(() => graph.Upsert("zero", new sbyte[EmbeddingQuantizer.Dimensions]));
        Assert.Throws<ArgumentException>(() => graph.Upsert("short", new sbyte[12]));
        Assert.Throws<ArgumentException>(() => graph.Nearest(new sbyte[EmbeddingQuantizer.Dimensions], 1, 10));
    }

    [Fact]
    public async Task Searches_RunWhileSubjectsAreAdded()
    {
        var codes = FaceLikeCodes(6_000, seed: 17);
        var graph = new SubjectGraph();
        for (var i = 0; i < 1_000; i++) graph.Upsert($"s{i}", codes[i]);
        using var stop = new CancellationTokenSource();
        int searched = 0, foundItself = 0;
        var started = Enumerable.Range(0, 2).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var searchers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            var random = new Random(t);
            started[t].SetResult();
            while (!stop.IsCancellationRequested)
            {
                var i = random.Next(1_000);
                var answer = graph.Nearest(codes[i], 5, ef: 40);
                Assert.Equal(5, answer.Distinct().Count());
                // An HNSW walk may miss a node whose every inbound link was pruned; a stored code finds itself nearly always.
                if (answer[0] == $"s{i}") Interlocked.Increment(ref foundItself);
                Interlocked.Increment(ref searched);
            }
        })).ToArray();
        await Task.WhenAll(started.Select(s => s.Task));
        for (var i = 1_000; i < codes.Count; i++) graph.Upsert($"s{i}", codes[i]);
        stop.Cancel();
        await Task.WhenAll(searchers);
        Assert.True(searched > 0);
        Assert.True(foundItself >= 0.99 * searched, $"{foundItself} of {searched}");
        Assert.Equal(codes.Count, graph.Count);
    }

    [Fact]
    public void TheSameInsertsGiveTheSameGraph()
    {
        var codes = FaceLikeCodes(3_000, seed: 19).Select((c, i) => (Subject: $"s{i}", Code: c)).ToDictionary(p => p.Subject, p => p.Code);
        var (a, b) = (Build(codes), Build(codes));
        foreach (var query in FaceLikeCodes(20, seed: 23))
            Assert.Equal(a.Nearest(query, 10, ef: 20), b.Nearest(query, 10, ef: 20));
    }
}
