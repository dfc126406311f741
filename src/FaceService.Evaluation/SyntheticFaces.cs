using System.Security.Cryptography;
using FaceService.Core.Naming;
using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Storage;

namespace FaceService.Evaluation;

/// <summary>
/// Seeded synthetic embeddings shaped like face embeddings. Real ones are not uniform on the sphere: they sit in a cone
/// around a common direction and vary mostly along a few dozen directions. So a subject here is the mean direction plus
/// a random combination of <see cref="SubspaceRank"/> basis directions (different subjects: squared distance ≈ 0.9), and
/// each face is its subject plus isotropic Gaussian noise (same subject: ≈ 0.2), renormalised and quantized with the
/// production quantizer.
/// </summary>
public sealed class SyntheticFaces
{
    private const int SubspaceRank = 32;
    private const float MeanWeight = 1f;

    private readonly Random random;
    private readonly float noise;
    private readonly float spread;
    private readonly float[] mean;
    private readonly float[][] basis;

    /// <param name="noise">Per component, around the subject: 0.03 puts two faces of one subject ~0.2 apart.</param>
    /// <param name="spread">Of subjects around the common direction: 0.9 puts two subjects ~0.9 apart.</param>
    public SyntheticFaces(int seed, float noise = 0.03f, float spread = 0.9f)
    {
        random = new Random(seed);
        this.noise = noise;
        this.spread = spread;
        mean = RandomUnitVector();
        basis = Enumerable.Range(0, SubspaceRank).Select(_ => RandomUnitVector()).ToArray();
    }

    public EmbeddingQuantizer Quantizer { get; } = new();

    public static CollectionName NewCollection() => CollectionName.Parse("t-" + Guid.NewGuid().ToString("N"));

    /// <summary>A new subject's direction (unit length).</summary>
    public float[] NewSubject()
    {
        var v = new float[EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < v.Length; i++) v[i] = MeanWeight * mean[i];
        foreach (var direction in basis)
        {
            var weight = spread / MathF.Sqrt(SubspaceRank) * Gaussian();
            for (var i = 0; i < v.Length; i++) v[i] += weight * direction[i];
        }
        EmbeddingMath.NormalizeInPlace(v);
        return v;
    }

    private float[] RandomUnitVector()
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

    public int NextIndex(int count) => random.Next(count);

    public string RandomSha256() => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(random.NextInt64())));

    public NewFace Face(string subject, sbyte[] code) =>
        new(SubjectId.Parse(subject), new FaceBox(random.Next(0, 500), random.Next(0, 500), random.Next(40, 200), random.Next(40, 200)),
            0.5f + 0.5f * random.NextSingle(), RandomSha256(), code);

    private float Gaussian()
    {
        // Box-Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
