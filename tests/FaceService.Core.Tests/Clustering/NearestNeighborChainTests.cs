using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using static FaceService.Core.Tests.Clustering.ClusteringTestData;

namespace FaceService.Core.Tests.Clustering;

/// <summary>The chain and the cut on given distance matrices, against hand-worked answers and the O(n³) reference.</summary>
public class NearestNeighborChainTests
{
    // Points on a line at 0, 1, 2.1, 3.1 and 10, distance |x - y|: two tight pairs, a 1.1 gap between them, an outlier.
    private static readonly float[] Line = [0f, 1f, 2.1f, 3.1f, 10f];

    public static TheoryData<Linkage, float, int[][]> LineCases => new()
    {
        // Below the 1.1 gap every linkage stops at the two pairs.
        { Linkage.Single, 1.05f, [[0, 1], [2, 3], [4]] },
        { Linkage.Average, 1.05f, [[0, 1], [2, 3], [4]] },
        { Linkage.Complete, 1.05f, [[0, 1], [2, 3], [4]] },
        // Single linkage bridges the gap (1.1); average (2.1) and complete (3.1) do not.
        { Linkage.Single, 1.5f, [[0, 1, 2, 3], [4]] },
        { Linkage.Average, 1.5f, [[0, 1], [2, 3], [4]] },
        { Linkage.Complete, 1.5f, [[0, 1], [2, 3], [4]] },
        // Average: mean of 2.1, 3.1, 1.1, 2.1 = 2.1 joins; complete: farthest pair 3.1 does not.
        { Linkage.Single, 2.5f, [[0, 1, 2, 3], [4]] },
        { Linkage.Average, 2.5f, [[0, 1, 2, 3], [4]] },
        { Linkage.Complete, 2.5f, [[0, 1], [2, 3], [4]] },
        // The outlier: single at 6.9, average at 8.45, complete at 10 — the threshold is inclusive.
        { Linkage.Single, 7f, [[0, 1, 2, 3, 4]] },
        { Linkage.Average, 7f, [[0, 1, 2, 3], [4]] },
        { Linkage.Average, 8.5f, [[0, 1, 2, 3, 4]] },
        { Linkage.Complete, 9.9f, [[0, 1, 2, 3], [4]] },
        { Linkage.Complete, 10f, [[0, 1, 2, 3, 4]] },
    };

    [Theory]
    [MemberData(nameof(LineCases))]
    public void Line_points_group_as_worked_out_by_hand(Linkage linkage, float threshold, int[][] expected)
    {
        var distances = new float[Line.Length, Line.Length];
        for (var i = 0; i < Line.Length; i++)
        for (var j = 0; j < Line.Length; j++)
            distances[i, j] = Math.Abs(Line[i] - Line[j]);

        Assert.Equal(Canonical(expected), Partition(Cluster(distances, linkage, threshold)));
    }

    [Theory]
    [InlineData(Linkage.Single, 1)]
    [InlineData(Linkage.Single, 2)]
    [InlineData(Linkage.Average, 1)]
    [InlineData(Linkage.Average, 2)]
    [InlineData(Linkage.Complete, 1)]
    [InlineData(Linkage.Complete, 2)]
    public void Matches_the_cubic_reference_on_random_points(Linkage linkage, int seed)
    {
        const int n = 200;
        var distances = RandomPointDistances(n, 8, seed);
        var heights = NaiveAgglomerative.Run(distances, linkage, double.PositiveInfinity).Heights;
        // Cut halfway between consecutive merges, after 20 … 195 of the 199: from 180 groups down to 4.
        foreach (var merged in new[] { 20, 100, 150, 180, 195 })
        {
            var threshold = (float)((heights[merged - 1] + heights[merged]) / 2);
            var expected = NaiveAgglomerative.Run(distances, linkage, threshold).Partition;

            var actual = Partition(Cluster(distances, linkage, threshold));
            var cutOfWholeTree = Partition(Cluster(distances, linkage, threshold, chainThreshold: float.PositiveInfinity));

            Assert.Equal(n - merged, actual.Count);
            Assert.Equal(Canonical(expected), actual);
            Assert.Equal(actual, cutOfWholeTree);
        }
    }

    [Theory]
    [InlineData(Linkage.Single, 119)]
    [InlineData(Linkage.Single, 60)]
    [InlineData(Linkage.Average, 119)]
    [InlineData(Linkage.Average, 60)]
    [InlineData(Linkage.Complete, 119)]
    [InlineData(Linkage.Complete, 60)]
    public void Merge_heights_match_the_reference_dendrogram_up_to_the_threshold(Linkage linkage, int merged)
    {
        var distances = RandomPointDistances(120, 5, seed: 7);
        var all = NaiveAgglomerative.Run(distances, linkage, double.PositiveInfinity).Heights;
        // All 119 merges, or those below a cut halfway between the 60th and the 61st.
        var threshold = merged == all.Count ? float.PositiveInfinity : (float)((all[merged - 1] + all[merged]) / 2);
        using var matrix = Condensed(distances);

        var merges = NearestNeighborChain.Run(matrix, linkage, threshold, CancellationToken.None);

        var actual = merges.Select(m => (double)m.Height).Order().ToArray();
        Assert.Equal(merged, actual.Length);
        foreach (var (e, a) in all.Take(merged).Zip(actual)) Assert.Equal(e, a, e * 1e-5);
    }

    [Fact]
    public void Ties_end_in_a_reciprocal_pair_instead_of_cycling()
    {
        // Every pair at the same distance: any order is a valid dendrogram, all heights are 1.
        var distances = new float[6, 6];
        for (var i = 0; i < 6; i++)
        for (var j = 0; j < 6; j++)
            distances[i, j] = i == j ? 0 : 1;
        using var matrix = Condensed(distances);

        var merges = NearestNeighborChain.Run(matrix, Linkage.Complete, float.PositiveInfinity, CancellationToken.None);

        Assert.Equal(5, merges.Count);
        Assert.All(merges, m => Assert.Equal(1f, m.Height));
    }

    [Fact]
    public void Stops_when_cancelled()
    {
        using var matrix = Condensed(RandomPointDistances(50, 3, seed: 3));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => NearestNeighborChain.Run(matrix, Linkage.Average, float.PositiveInfinity, cancelled.Token));
    }

    /// <summary>The chain (stopping at the threshold, or run to the root when given +∞) and the cut at the threshold.</summary>
    private static ClusteringResult Cluster(float[,] distances, Linkage linkage, float threshold, float? chainThreshold = null)
    {
        using var matrix = Condensed(distances);
        var merges = NearestNeighborChain.Run(matrix, linkage, chainThreshold ?? threshold, CancellationToken.None);
        return DendrogramCut.Cut(distances.GetLength(0), merges.ToArray(), threshold);
    }

    private static CondensedDistanceMatrix Condensed(float[,] distances)
    {
        var n = distances.GetLength(0);
        var matrix = new CondensedDistanceMatrix(n);
        for (var i = 0; i < n; i++)
        for (var j = i + 1; j < n; j++)
            matrix[i, j] = distances[i, j];
        return matrix;
    }

    /// <summary>Squared Euclidean distances of uniform random points: continuous, so no two pairs tie.</summary>
    private static float[,] RandomPointDistances(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        var points = Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var distances = new float[count, count];
        for (var i = 0; i < count; i++)
        for (var j = 0; j < count; j++)
            distances[i, j] = EmbeddingMath.SquaredDistance(points[i], points[j]);
        return distances;
    }
}
