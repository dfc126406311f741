using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;
using static FaceService.Core.Tests.Clustering.ClusteringTestData;

namespace FaceService.Core.Tests.Clustering;

public class CondensedDistanceMatrixTests
{
    [Fact]
    public void Addresses_each_pair_once_from_either_side()
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

    [Fact]
    public void Holds_the_distances_verification_uses()
    {
        var quantizer = new EmbeddingQuantizer();
        // 123 codes: 30 full bands of four rows and a short one.
        var (codes, _) = People(quantizer, seed: 9, Enumerable.Repeat(3, 41).ToArray(), sigma: 0.03f);

        using var matrix = CondensedDistanceMatrix.Compute(codes.Select(c => quantizer.Dequantize(c)).ToArray(), null, CancellationToken.None);

        for (var i = 0; i < codes.Count; i++)
        for (var j = i + 1; j < codes.Count; j++)
            Assert.Equal(quantizer.SquaredDistance(codes[i], codes[j]), matrix[i, j], 1e-5f);
    }
}
