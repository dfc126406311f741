using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using FaceService.Core.Embeddings;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Recognition;

/// <summary>
/// Mirror averaging (Inference:MirrorAveraging): each chip is embedded with its mirror image and the two embeddings are
/// averaged, so recognition runs twice per face. The pipeline and the benchmark's stage table both embed this way.
/// </summary>
public static class MirrorAveraging
{
    /// <summary>The n chips followed by their n mirror images: the batch whose embeddings <see cref="Average"/> takes.</summary>
    public static RgbaImage[] WithMirrors(IReadOnlyList<RgbaImage> chips) => [.. chips, .. chips.Select(Mirrored)];

    /// <summary>The chip flipped left to right.</summary>
    public static RgbaImage Mirrored(RgbaImage chip)
    {
        var pixels = new byte[chip.Pixels.Length];
        var source = MemoryMarshal.Cast<byte, uint>(chip.Pixels.AsSpan());
        var target = MemoryMarshal.Cast<byte, uint>(pixels.AsSpan());
        for (var y = 0; y < chip.Height; y++)
        {
            source.Slice(y * chip.Width, chip.Width).CopyTo(target.Slice(y * chip.Width, chip.Width));
            target.Slice(y * chip.Width, chip.Width).Reverse();
        }
        return new RgbaImage(chip.Width, chip.Height, pixels);
    }

    /// <summary>Embeddings of n chips followed by their n mirror images → n unit means (dlib's jitter idea, at its cheapest).</summary>
    public static float[][] Average(float[][] embeddings)
    {
        var n = embeddings.Length / 2;
        var result = new float[n][];
        for (var i = 0; i < n; i++)
        {
            result[i] = new float[embeddings[i].Length];
            TensorPrimitives.Add(embeddings[i], embeddings[n + i], result[i]);
            EmbeddingMath.NormalizeInPlace(result[i]);
        }
        return result;
    }
}
