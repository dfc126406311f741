namespace FaceService.Core.Embeddings;

/// <summary>
/// A subject compared as one person: the normalised mean of the unit vectors its faces stand for. The mean of several
/// photos is a steadier point than any one of them: new photos of the person land nearer to it (docs/ACCURACY.md,
/// Identification). The database keeps each subject's template with the same arithmetic in float32 (migration 0008);
/// a subject of one face is that face's unit vector.
/// </summary>
public static class SubjectTemplate
{
    public static float[] Combine(IEmbeddingQuantizer quantizer, IReadOnlyList<sbyte[]> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Count == 0) throw new ArgumentException("A template needs at least one face.", nameof(codes));
        if (codes.Count == 1) return quantizer.Dequantize(codes[0]);
        var sum = new float[EmbeddingQuantizer.Dimensions];
        foreach (var code in codes) System.Numerics.Tensors.TensorPrimitives.Add(sum, quantizer.Dequantize(code), sum);
        EmbeddingMath.NormalizeInPlace(sum);
        return sum;
    }

    /// <summary>Squared L2 between the unit vector a code stands for and a template (renormalised), clamped to 0..4.</summary>
    public static float Distance(IEmbeddingQuantizer quantizer, sbyte[] code, ReadOnlySpan<float> template)
    {
        var probe = quantizer.Dequantize(code);
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(template);
        if (!(norm > 0)) throw new ArgumentException("A template of zero length stands for no direction.", nameof(template));
        return Math.Clamp(2f - 2f * System.Numerics.Tensors.TensorPrimitives.Dot(probe, template) / norm, 0f, 4f);
    }
}
