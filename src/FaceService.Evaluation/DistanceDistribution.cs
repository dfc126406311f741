namespace FaceService.Evaluation;

/// <summary>
/// A sorted sample of squared distances (of same-person or of different-person pairs): the share at or below a
/// distance, and the distance below which a given share lies.
/// </summary>
public sealed class DistanceDistribution
{
    private readonly float[] _sorted;

    public DistanceDistribution(IEnumerable<float> distances)
    {
        _sorted = distances.ToArray();
        Array.Sort(_sorted);
        if (_sorted.Length == 0) throw new ArgumentException("No distances.", nameof(distances));
    }

    public int Count => _sorted.Length;

    public ReadOnlySpan<float> Sorted => _sorted;

    /// <summary>Share of the sample at or below <paramref name="distance"/>: the false-accept rate for impostor pairs, the true-accept rate for genuine ones.</summary>
    public double ShareAtOrBelow(float distance) => (double)CountAtOrBelow(distance) / _sorted.Length;

    public int CountAtOrBelow(float distance) => UpperBound(distance);

    /// <summary>
    /// The largest threshold whose share at or below stays ≤ <paramref name="share"/> (just under the ⌊share·n⌋+1-th
    /// smallest distance); 0 when even the smallest distance is too many.
    /// </summary>
    public float ThresholdForShare(double share)
    {
        var allowed = (int)Math.Floor(share * _sorted.Length);
        if (allowed >= _sorted.Length) return _sorted[^1];
        var next = _sorted[allowed];
        return allowed == 0 && next <= 0 ? 0 : MathF.BitDecrement(next);
    }

    /// <summary>The p-quantile (nearest rank).</summary>
    public float Quantile(double p) => _sorted[Math.Clamp((int)Math.Ceiling(p * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    private int UpperBound(float value)
    {
        int lo = 0, hi = _sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >>> 1; if (_sorted[mid] <= value) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
