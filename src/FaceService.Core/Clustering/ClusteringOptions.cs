using System.ComponentModel.DataAnnotations;

namespace FaceService.Core.Clustering;

/// <summary>Limits of <see cref="AgglomerativeFaceClusterer"/>, bound from the "Clustering" configuration section.</summary>
public sealed class ClusteringOptions
{
    public const string SectionName = "Clustering";

    /// <summary>
    /// Most faces one request may cluster. Memory grows as n²: the distance matrix takes 2·n² bytes
    /// (20,000 faces → 800 MB), so this is the guard against a request exhausting the host.
    /// </summary>
    [Range(2, 40_000)] public int MaxFaces { get; set; } = 20_000;

    /// <summary>Threads that fill the distance matrix; null = one per core.</summary>
    [Range(1, 1024)] public int? MaxDegreeOfParallelism { get; set; }
}
