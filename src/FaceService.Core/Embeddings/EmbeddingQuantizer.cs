using System.Numerics.Tensors;

namespace FaceService.Core.Embeddings;

/// <summary>
/// Unit embeddings as 128 signed bytes: code = clamp(round(x · <see cref="Scale"/>), −127, 127). Dequantizing divides by
/// the scale and renormalises to unit length, so a code stands for a unit vector and distances stay within 0..4.
/// </summary>
public sealed class EmbeddingQuantizer : IEmbeddingQuantizer
{
    public const int Dimensions = 128;

    /// <summary>
    /// Fixed for all stored codes (changing it invalidates them). Chosen from the dev set (docs/ACCURACY.md): the largest
    /// |component| of any unit embedding there is 0.340, so 0.340 · Scale = 109 leaves ~15% headroom below 127, and
    /// the step 1/Scale moved squared distances by at most 0.0047 on the dev set.
    /// </summary>
    public const float Scale = 320f;

    public sbyte[] Quantize(ReadOnlySpan<float> unitEmbedding)
    {
        CheckLength(unitEmbedding.Length);
        var code = new sbyte[Dimensions];
        for (var i = 0; i < code.Length; i++)
        {
            var x = unitEmbedding[i];
            if (!float.IsFinite(x)) throw new ArgumentException("Embedding has a non-finite component.", nameof(unitEmbedding));
            code[i] = (sbyte)Math.Clamp(MathF.Round(x * Scale), -127f, 127f);
        }
        return code;
    }

    public float[] Dequantize(ReadOnlySpan<sbyte> code)
    {
        CheckLength(code.Length);
        var v = new float[Dimensions];
        TensorPrimitives.ConvertChecked<sbyte, float>(code, v);
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>‖a/‖a‖ − b/‖b‖‖² = 2 − 2·a·b / (‖a‖‖b‖), computed on the codes without dequantizing.</summary>
    public float SquaredDistance(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        CheckLength(a.Length);
        CheckLength(b.Length);
        Span<float> fa = stackalloc float[Dimensions];
        Span<float> fb = stackalloc float[Dimensions];
        TensorPrimitives.ConvertChecked<sbyte, float>(a, fa);
        TensorPrimitives.ConvertChecked<sbyte, float>(b, fb);
        var normProduct = TensorPrimitives.Norm<float>(fa) * TensorPrimitives.Norm<float>(fb);
        if (normProduct <= 0) throw new ArgumentException("A code of all zeros stands for no direction.");
        return Math.Clamp(2f - 2f * TensorPrimitives.Dot<float>(fa, fb) / normProduct, 0f, 4f);
    }

    private static void CheckLength(int length)
    {
        if (length != Dimensions) throw new ArgumentException($"Expected {Dimensions} components, got {length}.");
    }
}
