using System.Numerics.Tensors;

namespace FaceService.Core.Embeddings;

/// <summary>Geometry on the unit hypersphere: squared L2 distance, 0 = identical, 4 = opposite.</summary>
public static class EmbeddingMath
{
    public static void NormalizeInPlace(Span<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        if (norm <= 0 || !float.IsFinite(norm)) throw new ArgumentException("Embedding has zero or non-finite norm.");
        TensorPrimitives.Divide(v, norm, v);
    }

    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var d = TensorPrimitives.Distance(a, b);
        return d * d;
    }
}
