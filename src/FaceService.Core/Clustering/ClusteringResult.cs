namespace FaceService.Core.Clustering;

/// <summary>How the distance between two clusters is computed from the distances of their members.</summary>
public enum Linkage
{
    Average,
    Complete,
    Single,
}

/// <summary>Groups of input indices: clusters with at least two members (largest first), and the indices left alone.</summary>
public sealed record ClusteringResult(IReadOnlyList<int[]> Clusters, IReadOnlyList<int> Singletons)
{
    /// <summary>
    /// The groups of faces that share a root: clusters largest first, ties by smallest member; members and singletons
    /// ascending.
    /// </summary>
    public static ClusteringResult FromRoots(int[] rootOf)
    {
        var members = new Dictionary<int, List<int>>();
        for (var i = 0; i < rootOf.Length; i++)
        {
            if (!members.TryGetValue(rootOf[i], out var group)) members[rootOf[i]] = group = [];
            group.Add(i);
        }
        var clusters = members.Values.Where(g => g.Count > 1).Select(g => g.ToArray())
            .OrderByDescending(g => g.Length).ThenBy(g => g[0]).ToList();
        var singletons = members.Values.Where(g => g.Count == 1).Select(g => g[0]).Order().ToList();
        return new ClusteringResult(clusters, singletons);
    }
}
