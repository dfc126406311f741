using System.Runtime.InteropServices;
using FaceService.Core.Embeddings;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Clustering;

/// <summary>
/// Exact hierarchical agglomerative clustering of face codes on squared L2, cut at a distance threshold: a condensed
/// distance matrix (O(n²) memory, filled in parallel), the nearest-neighbour chain (O(n²) time), and a union–find cut.
/// See docs/CLUSTERING.md.
/// </summary>
public sealed class AgglomerativeFaceClusterer(IEmbeddingQuantizer quantizer, IOptions<ClusteringOptions> options) : IFaceClusterer
{
    private readonly ClusteringOptions _options = options.Value;

    /// <summary>
    /// Faces whose clusters stay within <paramref name="threshold"/> (squared L2, inclusive) under the linkage end up together.
    /// Clusters (two members or more) come largest first, ties by smallest index; members and singletons ascending.
    /// </summary>
    /// <exception cref="ArgumentException">More codes than <see cref="ClusteringOptions.MaxFaces"/>, a null or
    /// malformed code, a negative or non-finite threshold, or an unknown linkage.</exception>
    public ClusteringResult Cluster(IReadOnlyList<sbyte[]> codes, float threshold, Linkage linkage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (!float.IsFinite(threshold) || threshold < 0)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite squared L2 distance, 0 or more.");
        if (!Enum.IsDefined(linkage)) throw new ArgumentOutOfRangeException(nameof(linkage), linkage, "Unknown linkage.");
        if (codes.Count > _options.MaxFaces)
            throw new ArgumentException($"Clustering takes at most {_options.MaxFaces} faces; got {codes.Count}.", nameof(codes));
        cancellationToken.ThrowIfCancellationRequested();

        var vectors = Dequantize(codes);
        if (vectors.Length < 2) return new ClusteringResult([], Enumerable.Range(0, vectors.Length).ToArray());
        using var distances = CondensedDistanceMatrix.Compute(vectors, _options.MaxDegreeOfParallelism, cancellationToken);
        var merges = NearestNeighborChain.Run(distances, linkage, threshold, cancellationToken);
        return DendrogramCut.Cut(vectors.Length, CollectionsMarshal.AsSpan(merges), threshold);
    }

    /// <summary>
    /// The unit vectors the codes stand for, by the quantizer's own definition. A malformed code (null, wrong length,
    /// all zeros) is refused here, on the caller's thread and with its index, before any heavy work starts.
    /// </summary>
    private float[][] Dequantize(IReadOnlyList<sbyte[]> codes)
    {
        var vectors = new float[codes.Count][];
        for (var i = 0; i < vectors.Length; i++)
        {
            if (codes[i] is null) throw new ArgumentException($"Code {i} is null.", nameof(codes));
            try
            {
                vectors[i] = quantizer.Dequantize(codes[i]);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Code {i} is not a valid face code: {e.Message}", nameof(codes), e);
            }
        }
        return vectors;
    }
}
