using System.ComponentModel.DataAnnotations;

namespace FaceService.Core.Clustering;

/// <summary>Limits of the clusterers, bound from the "Clustering" configuration section.</summary>
public sealed class ClusteringOptions
{
    public const string SectionName = "Clustering";

    /// <summary>
    /// Most faces one request may cluster into people (<see cref="PeopleClusterer"/>): time grows as n² (every pair is
    /// compared once for the neighbour graph; 100,000 faces take about a minute on two cores) and memory as n
    /// (about 1 KB a face).
    /// </summary>
    [Range(2, 2_000_000)] public int MaxFaces { get; set; } = 100_000;

    /// <summary>
    /// Most faces one request may cluster with an explicit linkage (<see cref="AgglomerativeFaceClusterer"/>). Memory
    /// grows as n²: the distance matrix takes 2·n² bytes (20,000 faces → 800 MB), so this is the guard against a
    /// request exhausting the host.
    /// </summary>
    [Range(2, 40_000)] public int MaxAgglomerativeFaces { get; set; } = 20_000;

    /// <summary>Nearest neighbours per face that people clustering compares clusters through.</summary>
    [Range(5, 200)] public int Neighbours { get; set; } = 30;

    /// <summary>Threads that compare faces; null = one per core.</summary>
    [Range(1, 1024)] public int? MaxDegreeOfParallelism { get; set; }
}
