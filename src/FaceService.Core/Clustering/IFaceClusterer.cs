namespace FaceService.Core.Clustering;

/// <summary>How the distance between two clusters is computed from the distances of their members.</summary>
public enum Linkage
{
    Average,
    Complete,
    Single,
}

/// <summary>Groups of input indices: clusters with at least two members (largest first), and the indices left alone.</summary>
public sealed record ClusteringResult(IReadOnlyList<int[]> Clusters, IReadOnlyList<int> Singletons);

/// <summary>Agglomerative clustering of quantized face codes on squared L2, cut at a distance threshold.</summary>
public interface IFaceClusterer
{
    ClusteringResult Cluster(IReadOnlyList<sbyte[]> codes, float threshold, Linkage linkage, CancellationToken cancellationToken = default);
}
