using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using static FaceService.Core.Tests.Clustering.ClusteringTestData;

namespace FaceService.Core.Tests.Clustering;

public sealed class NeighbourGraphTests
{
    private static float[] Flat(IEnumerable<float[]> vectors) => vectors.SelectMany(v => v).ToArray();

    /// <summary>Brute force: every other face by distance, ties by index.</summary>
    private static int[] Nearest(float[][] vectors, int face, int k) =>
        Enumerable.Range(0, vectors.Length).Where(j => j != face)
            .OrderBy(j => EmbeddingMath.SquaredDistance(vectors[face], vectors[j])).ThenBy(j => j).Take(k).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    [InlineData(300)]
    public void The_exact_graph_is_every_faces_nearest_others(int n)
    {
        var random = new Random(n);
        var vectors = Enumerable.Range(0, n).Select(_ => RandomUnit(random)).ToArray();
        var graph = NeighbourGraph.Build(Flat(vectors), 128, k: 10, maxDegreeOfParallelism: null, CancellationToken.None);
        Assert.Equal(Math.Max(1, Math.Min(10, n - 1)), graph.K);
        for (var i = 0; i < n; i++)
        {
            var expected = n == 1 ? [-1] : Nearest(vectors, i, graph.K);
            var found = graph.NeighboursOf(i).ToArray();
            // Float sums in another order may swap two neighbours at the same distance to a few ulps.
            Assert.Equal(expected.Order(), found.Order());
            for (var j = 0; j < found.Length && found[j] >= 0; j++)
                Assert.Equal(EmbeddingMath.SquaredDistance(vectors[i], vectors[found[j]]), graph.DistancesOf(i)[j], 1e-5f);
        }
    }

    /// <summary>
    /// Beyond the exact limit each face is compared through its nearest centroids' lists: on faces that come in people,
    /// the near neighbours (the ones clustering reads) are all found.
    /// </summary>
    [Fact]
    public void The_inverted_file_finds_the_near_neighbours_of_people()
    {
        var random = new Random(3);
        var people = Enumerable.Range(0, 400).Select(_ => RandomUnit(random)).ToArray();
        var vectors = Enumerable.Range(0, 4000).Select(i => Near(random, people[i % people.Length], 0.02f)).ToArray();
        var exact = NeighbourGraph.Build(Flat(vectors), 128, k: 15, null, CancellationToken.None, exactLimit: int.MaxValue);
        var inverted = NeighbourGraph.Build(Flat(vectors), 128, k: 15, null, CancellationToken.None, exactLimit: 100);
        int wanted = 0, found = 0;
        for (var i = 0; i < vectors.Length; i++)
        {
            var near = exact.NeighboursOf(i).ToArray().Where((_, j) => exact.DistancesOf(i)[j] < 0.3f).ToHashSet();
            wanted += near.Count;
            found += inverted.NeighboursOf(i).ToArray().Count(near.Contains);
        }
        Assert.True(wanted > 30_000);
        Assert.True(found >= 0.99 * wanted, $"{found} of {wanted} near neighbours found");
    }

    [Fact]
    public void Cancellation_stops_the_comparisons()
    {
        var random = new Random(1);
        var vectors = Flat(Enumerable.Range(0, 3000).Select(_ => RandomUnit(random)));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => NeighbourGraph.Build(vectors, 128, 10, null, cancelled.Token));
    }
}
