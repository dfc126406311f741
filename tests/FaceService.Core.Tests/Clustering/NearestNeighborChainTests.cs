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

            Assert.Equal(n - merged, actual.Count);
            Assert.Equal(Canonical(expected), actual);
        }
    }

    [Theory]
    [InlineData(Linkage.Single)]
    [InlineData(Linkage.Average)]
    [InlineData(Linkage.Complete)]
    public void Merge_heights_match_the_reference_dendrogram(Linkage linkage)
    {
        var distances = RandomPointDistances(120, 5, seed: 7);
        var expected = NaiveAgglomerative.Run(distances, linkage, double.PositiveInfinity).Heights;

        using var matrix = Condensed(distances);
        var merges = NearestNeighborChain.Run(matrix, linkage, CancellationToken.None);

        var actual = merges.Select(m => (double)m.Height).Order().ToArray();
        Assert.Equal(expected.Count, actual.Length);
        foreach (var (e, a) in expected.Order().Zip(actual)) Assert.Equal(e, a, e * 1e-5);
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

        var merges = NearestNeighborChain.Run(matrix, Linkage.Complete, CancellationToken.None);

        Assert.Equal(5, merges.Length);
        Assert.All(merges, m => Assert.Equal(1f, m.Height));
    }

    [Fact]
    public void Stops_when_cancelled()
    {
        using var matrix = Condensed(RandomPointDistances(50, 3, seed: 3));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => NearestNeighborChain.Run(matrix, Linkage.Average, cancelled.Token));
    }

    [Fact]
    public void Condensed_matrix_addresses_each_pair_once_symmetrically()
    {
        const int n = 7;
        using var matrix = new CondensedDistanceMatrix(n);
        for (var i = 0; i < n; i++)
        for (var j = i + 1; j < n; j++)
            matrix[i, j] = 100 * i + j;

        for (var i = 0; i < n; i++)
        {
            Assert.Equal(n - 1 - i, matrix.Row(i).Length);
            for (var j = 0; j < n; j++)
                if (i != j) Assert.Equal(100 * Math.Min(i, j) + Math.Max(i, j), matrix[i, j]);
        }
        Assert.Equal(n * (n - 1) / 2, matrix.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[3, 3]);
    }

    private static ClusteringResult Cluster(float[,] distances, Linkage linkage, float threshold)
    {
        using var matrix = Condensed(distances);
        var merges = NearestNeighborChain.Run(matrix, linkage, CancellationToken.None);
        return DendrogramCut.Cut(distances.GetLength(0), merges, threshold);
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
