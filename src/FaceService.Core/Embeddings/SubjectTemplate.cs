namespace FaceService.Core.Embeddings;

/// <summary>
/// A subject compared as one person: the normalised mean of the unit vectors its faces stand for, quantized like a
/// face. The mean of several photos is a steadier point than any one of them: new photos of the person land nearer to
/// it (docs/ACCURACY.md, Identification). The database keeps each subject's template with the same arithmetic
/// (migration 0008); a subject of one face is that face's code unchanged.
/// </summary>
public static class SubjectTemplate
{
    public static sbyte[] Combine(IEmbeddingQuantizer quantizer, IReadOnlyList<sbyte[]> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Count == 0) throw new ArgumentException("A template needs at least one face.", nameof(codes));
        if (codes.Count == 1) return [.. codes[0]];
        var sum = new float[EmbeddingQuantizer.Dimensions];
        foreach (var code in codes) System.Numerics.Tensors.TensorPrimitives.Add(sum, quantizer.Dequantize(code), sum);
        EmbeddingMath.NormalizeInPlace(sum);
        return quantizer.Quantize(sum);
    }
}
