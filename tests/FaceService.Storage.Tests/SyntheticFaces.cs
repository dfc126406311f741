using System.Security.Cryptography;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Storage;

namespace FaceService.Storage.Tests;

/// <summary>
/// Seeded synthetic embeddings shaped like face embeddings: each subject is a random unit direction, each of its faces
/// that direction plus Gaussian noise, renormalised and quantized with the production quantizer.
/// </summary>
public sealed class SyntheticFaces(int seed, float noise = 0.03f)
{
    private readonly Random random = new(seed);
    public EmbeddingQuantizer Quantizer { get; } = new();

    public static string NewCollection() => "t-" + Guid.NewGuid().ToString("N");

    public float[] RandomUnitVector()
    {
        var v = new float[EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < v.Length; i++) v[i] = Gaussian();
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>A sample near <paramref name="center"/>: with the default noise, same-subject squared distances are ~0.2.</summary>
    public sbyte[] CodeNear(float[] center)
    {
        var v = new float[center.Length];
        for (var i = 0; i < v.Length; i++) v[i] = center[i] + noise * Gaussian();
        EmbeddingMath.NormalizeInPlace(v);
        return Quantizer.Quantize(v);
    }

    public string RandomSha256() => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(random.NextInt64())));

    public NewFace Face(string subject, sbyte[] code) =>
        new(subject, new FaceBox(random.Next(0, 500), random.Next(0, 500), random.Next(40, 200), random.Next(40, 200)),
            0.5f + 0.5f * random.NextSingle(), RandomSha256(), code);

    private float Gaussian()
    {
        // Box-Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
