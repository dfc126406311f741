using FaceService.Core.Embeddings;

namespace FaceService.Bench;

/// <summary>
/// Exact search without an index: every code held once in one contiguous int8 array with its norm, each query scanned
/// against all of them with AVX2 (int8 widened to int16, pmaddwd into int32 lanes). The distance is the quantizer's,
/// 2 − 2·a·b / (‖a‖‖b‖), with an exact integer dot product. The floor a user would otherwise pick, and the recall reference.
/// </summary>
public sealed class InMemoryCodeScan
{
    private const int Dimensions = EmbeddingQuantizer.Dimensions;

    private readonly sbyte[] _codes;
    private readonly float[] _norms;
    private readonly int[] _subjectOf;

    /// <param name="subjectOf">Subject number of each code; the scan answers with subject numbers.</param>
    public InMemoryCodeScan(IReadOnlyList<sbyte[]> codes, int[] subjectOf)
    {
        if (codes.Count != subjectOf.Length) throw new ArgumentException("One subject per code.", nameof(subjectOf));
        _codes = GC.AllocateUninitializedArray<sbyte>(codes.Count * Dimensions);
        _norms = new float[codes.Count];
        for (var i = 0; i < codes.Count; i++)
        {
            codes[i].CopyTo(_codes.AsSpan(i * Dimensions, Dimensions));
            _norms[i] = MathF.Sqrt(CodeDot.Of(codes[i], codes[i]));
        }
        _subjectOf = subjectOf;
    }

    public int Count => _norms.Length;

    /// <summary>Bytes held: the codes, their norms and subject numbers.</summary>
    public long MemoryBytes => _codes.LongLength + _norms.LongLength * sizeof(float) + _subjectOf.LongLength * sizeof(int);

    /// <summary>The k nearest subjects (best face each), nearest first, as (subject number, squared distance).</summary>
    public (int Subject, float Distance)[] NearestSubjects(sbyte[] query, int k)
    {
        var queryNorm = MathF.Sqrt(CodeDot.Of(query, query));
        // Best k subjects so far, sorted by distance. A subject pushed out never comes back with a worse face: the k-th
        // distance only falls, so the list stays exact.
        var best = new List<(int Subject, float Distance)>(k + 1);
        var worst = float.PositiveInfinity;
        for (var row = 0; row < _norms.Length; row++)
        {
            var distance = 2f - 2f * CodeDot.Of(query, _codes.AsSpan(row * Dimensions, Dimensions)) / (queryNorm * _norms[row]);
            if (distance >= worst) continue;
            var subject = _subjectOf[row];
            var at = best.FindIndex(b => b.Subject == subject);
            if (at >= 0)
            {
                if (distance >= best[at].Distance) continue;
                best.RemoveAt(at);
            }
            var position = best.FindIndex(b => b.Distance > distance);
            best.Insert(position < 0 ? best.Count : position, (subject, Math.Clamp(distance, 0f, 4f)));
            if (best.Count > k) best.RemoveAt(k);
            if (best.Count == k) worst = best[^1].Distance;
        }
        return best.ToArray();
    }
}
