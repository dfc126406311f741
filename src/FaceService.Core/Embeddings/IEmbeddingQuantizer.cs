namespace FaceService.Core.Embeddings;

/// <summary>Unit embedding ⇄ 128 signed bytes with a fixed, documented scale.</summary>
public interface IEmbeddingQuantizer
{
    sbyte[] Quantize(ReadOnlySpan<float> unitEmbedding);
    float[] Dequantize(ReadOnlySpan<sbyte> code);

    /// <summary>Squared L2 distance between the vectors two codes stand for (0..4).</summary>
    float SquaredDistance(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b);
}
