using FaceService.Core.Embeddings;

namespace FaceService.Core.Tests.Clustering;

/// <summary>Stand-in until the real quantizer lands: code = round(127·x).</summary>
internal sealed class TestQuantizer : IEmbeddingQuantizer
{
    private const float Scale = 127f;

    public sbyte[] Quantize(ReadOnlySpan<float> unitEmbedding)
    {
        var code = new sbyte[unitEmbedding.Length];
        for (var i = 0; i < code.Length; i++) code[i] = (sbyte)Math.Clamp(MathF.Round(unitEmbedding[i] * Scale), -127, 127);
        return code;
    }

    public float[] Dequantize(ReadOnlySpan<sbyte> code)
    {
        var v = new float[code.Length];
        for (var i = 0; i < v.Length; i++) v[i] = code[i] / Scale;
        return v;
    }

    public float SquaredDistance(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != 128 || b.Length != 128) throw new ArgumentException("Codes must have 128 bytes.");
        var sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum / (Scale * Scale);
    }
}
