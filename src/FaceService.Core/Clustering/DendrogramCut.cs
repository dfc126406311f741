namespace FaceService.Core.Clustering;

/// <summary>The flat clustering at one height of a monotone dendrogram.</summary>
internal static class DendrogramCut
{
    /// <summary>
    /// Joins the two sides of every merge at or below the threshold (union–find). Heights never decrease towards the
    /// root, so a merge at or below the threshold has all its descendants there too: the components are exactly the
    /// dendrogram's clusters at that height, whatever order the merges come in.
    /// </summary>
    public static ClusteringResult Cut(int count, ReadOnlySpan<Merge> merges, float threshold)
    {
        var parent = new int[count];
        for (var i = 0; i < count; i++) parent[i] = i;
        foreach (var merge in merges)
        {
            if (merge.Height > threshold) continue;
            int x = Find(parent, merge.First), y = Find(parent, merge.Second);
            if (x < y) parent[y] = x;
            else parent[x] = y;
        }

        var roots = new int[count];
        for (var i = 0; i < count; i++) roots[i] = Find(parent, i);
        return ClusteringResult.FromRoots(roots);
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
