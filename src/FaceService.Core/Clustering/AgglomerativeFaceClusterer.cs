using System.Runtime.InteropServices;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Clustering;

/// <summary>
/// Exact hierarchical agglomerative clustering of face codes on squared L2, cut at a distance threshold: a condensed
/// distance matrix (O(n²) memory, filled in parallel), the nearest-neighbour chain (O(n²) time), and a union–find cut.
/// Faces of one photo are infinitely far apart, and so is every cluster holding one of them from every cluster holding
/// the other, for every linkage: they never share a cluster. See docs/CLUSTERING.md.
/// </summary>
public sealed class AgglomerativeFaceClusterer(IOptions<ClusteringOptions> options)
{
    private readonly ClusteringOptions _options = options.Value;

    /// <summary>
    /// Faces whose clusters stay within <paramref name="threshold"/> (squared L2, inclusive) under the linkage end up together.
    /// Clusters (two members or more) come largest first, ties by smallest index; members and singletons ascending.
    /// </summary>
    /// <param name="photos">Per face, its photo, or null; faces with the same key never share a cluster.</param>
    /// <exception cref="ArgumentException">More codes than <see cref="ClusteringOptions.MaxAgglomerativeFaces"/>, a null or
    /// malformed code, a negative or non-finite threshold, or an unknown linkage.</exception>
    public ClusteringResult Cluster(IReadOnlyList<sbyte[]> codes, float threshold, Linkage linkage, IReadOnlyList<string?>? photos = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (!float.IsFinite(threshold) || threshold < 0)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite squared L2 distance, 0 or more.");
        if (!Enum.IsDefined(linkage)) throw new ArgumentOutOfRangeException(nameof(linkage), linkage, "Unknown linkage.");
        if (codes.Count > _options.MaxAgglomerativeFaces)
            throw new ArgumentException($"Agglomerative clustering takes at most {_options.MaxAgglomerativeFaces} faces; got {codes.Count}.", nameof(codes));
        if (photos is not null && photos.Count != codes.Count) throw new ArgumentException("One photo key per code, or none.", nameof(photos));
        cancellationToken.ThrowIfCancellationRequested();

        var flat = ClusteringInput.Dequantize(codes);
        var vectors = Enumerable.Range(0, codes.Count).Select(i => flat.AsSpan(i * EmbeddingQuantizer.Dimensions, EmbeddingQuantizer.Dimensions).ToArray()).ToArray();
        if (vectors.Length < 2) return new ClusteringResult([], Enumerable.Range(0, vectors.Length).ToArray());
        using var distances = CondensedDistanceMatrix.Compute(vectors, _options.MaxDegreeOfParallelism, cancellationToken);
        if (ClusteringInput.PhotoGroups(photos) is { } groups)
        {
            foreach (var photo in Enumerable.Range(0, groups.Length).Where(i => groups[i] >= 0).GroupBy(i => groups[i]))
                foreach (var i in photo)
                    foreach (var j in photo)
                        if (i < j) distances[i, j] = float.PositiveInfinity;
        }
        var merges = NearestNeighborChain.Run(distances, linkage, threshold, cancellationToken);
        return DendrogramCut.Cut(vectors.Length, CollectionsMarshal.AsSpan(merges), threshold);
    }
}
