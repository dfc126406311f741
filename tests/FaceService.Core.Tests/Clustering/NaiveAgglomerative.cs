using FaceService.Core.Clustering;

namespace FaceService.Core.Tests.Clustering;

/// <summary>
/// Reference: the textbook O(n³) algorithm. Each step scans every pair of clusters for the closest one; the linkage of
/// a new cluster to the others is computed from the member distances themselves (in double), not by Lance–Williams.
/// </summary>
internal static class NaiveAgglomerative
{
    /// <summary>The partition at the threshold (inclusive) and the heights of the merges done up to it, in order.</summary>
    public static (List<int[]> Partition, List<double> Heights) Run(float[,] distances, Linkage linkage, double threshold)
    {
        var n = distances.GetLength(0);
        var clusters = Enumerable.Range(0, n).Select(i => new List<int> { i }).ToList();
        var between = new double[n, n];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
            between[i, j] = distances[i, j];
        var heights = new List<double>();
        // clusters[i] is null once merged away; the merged cluster keeps the first slot.
        for (var step = 0; step < n - 1; step++)
        {
            var (bestI, bestJ, best) = (-1, -1, double.PositiveInfinity);
            for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
                if (clusters[i] is not null && clusters[j] is not null && between[i, j] < best)
                    (bestI, bestJ, best) = (i, j, between[i, j]);
            if (best > threshold) break;
            clusters[bestI]!.AddRange(clusters[bestJ]!);
            clusters[bestJ] = null!;
            heights.Add(best);
            for (var k = 0; k < n; k++)
                if (k != bestI && clusters[k] is not null)
                    between[bestI, k] = between[k, bestI] = Link(distances, clusters[bestI], clusters[k], linkage);
        }
        return (clusters.Where(c => c is not null).Select(c => c.Order().ToArray()).ToList(), heights);
    }

    private static double Link(float[,] distances, List<int> a, List<int> b, Linkage linkage)
    {
        var pairs = a.SelectMany(i => b.Select(j => (double)distances[i, j]));
        return linkage switch
        {
            Linkage.Single => pairs.Min(),
            Linkage.Complete => pairs.Max(),
            Linkage.Average => pairs.Average(),
            _ => throw new ArgumentOutOfRangeException(nameof(linkage)),
        };
    }
}
