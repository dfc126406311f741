using FaceService.Core.Embeddings;

namespace FaceService.Core.Clustering;

/// <summary>What the clusterers take from their callers: the codes as unit vectors, and which faces share a photo.</summary>
internal static class ClusteringInput
{
    /// <summary>
    /// The unit vectors the codes stand for, by the quantizer's own definition, one after another. A malformed code
    /// (null, wrong length, all zeros) is refused here, on the caller's thread and with its index, before any heavy work.
    /// </summary>
    public static float[] Dequantize(IReadOnlyList<sbyte[]> codes)
    {
        var quantizer = new EmbeddingQuantizer();
        var vectors = new float[codes.Count * EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] is null) throw new ArgumentException($"Code {i} is null.", nameof(codes));
            try
            {
                quantizer.Dequantize(codes[i]).CopyTo(vectors, i * EmbeddingQuantizer.Dimensions);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Code {i} is not a valid face code: {e.Message}", nameof(codes), e);
            }
        }
        return vectors;
    }

    /// <summary>
    /// Per face, the number of its photo among the photos that show two faces or more, or −1 (a photo of one face keeps
    /// nobody apart); null when no photo shows two.
    /// </summary>
    public static int[]? PhotoGroups(IReadOnlyList<string?>? photos)
    {
        if (photos is null) return null;
        var counts = photos.OfType<string>().CountBy(p => p, StringComparer.Ordinal).Where(c => c.Value > 1)
            .Select((c, i) => (c.Key, i)).ToDictionary(c => c.Key, c => c.i, StringComparer.Ordinal);
        if (counts.Count == 0) return null;
        return photos.Select(p => p is not null && counts.TryGetValue(p, out var group) ? group : -1).ToArray();
    }
}
