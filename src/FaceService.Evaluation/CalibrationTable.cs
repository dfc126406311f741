using FaceService.Core.Calibration;

namespace FaceService.Evaluation;

/// <summary>A pair of photos of two different people (indices into a list of people) and their squared distance.</summary>
public readonly record struct PersonPair(int PersonA, int PersonB, float Distance);

/// <summary>
/// The calibration table of a model from measured distances: false-accept rates from different-person pairs, true-accept
/// rates from same-person pairs, at every <see cref="GridStep"/> of distance from 0 up to the largest distance seen,
/// then 4.
/// <para>Measured rates are used where at least <see cref="MinimumMeasuredPairs"/> different-person pairs lie at or
/// below the distance (relative standard error ≤ 10 %). Below that, the few closest pairs cannot say how fast the rate
/// falls, so it comes from a model of the lower tail: a power law, FAR(d) = FAR(d₀)·(d/d₀)^α, anchored at the smallest
/// well-measured grid distance d₀, with α the maximum-likelihood (Hill) estimate from the <see cref="TailFittedPairs"/>
/// closest pairs. A power law is how the share of random directions within a small distance falls (the volume of a
/// cap on a sphere); on lfw-dev the local exponent stays near 10 from distance 0.11 to 0.18. An exponential tail
/// (log-rate linear in distance) fitted to the same pairs overstated the rate tenfold two decades below its data, a
/// free-shape generalized Pareto tail ended at a distance that moved with the pairs fitted (docs/ACCURACY.md).
/// <see cref="CheckTail"/> tests the extrapolation on pairs it was not fitted on.</para>
/// </summary>
public static class CalibrationTable
{
    public const double GridStep = 0.002;
    public const int MinimumMeasuredPairs = 100;
    public const int TailFittedPairs = 1000;
    public const string TailModel = "power law";

    public static (CalibrationTail Tail, IReadOnlyList<CalibrationPoint> Points) Build(DistanceDistribution differentPerson, DistanceDistribution samePerson)
    {
        var sorted = differentPerson.Sorted;
        if (sorted.Length <= TailFittedPairs)
            throw new ArgumentException($"At least {TailFittedPairs + 1} different-person pairs are needed; got {sorted.Length}.", nameof(differentPerson));
        var fittedBelow = sorted[TailFittedPairs];
        var logSum = 0.0;
        for (var i = 0; i < TailFittedPairs; i++) logSum += Math.Log(fittedBelow / Math.Max(sorted[i], float.Epsilon));
        var exponent = TailFittedPairs / logSum;

        var largest = Math.Max(sorted[^1], samePerson.Sorted[^1]);
        // Whole steps in double, then the nearest float: 0.146, not 73 · 0.002f = 0.14600001.
        var grid = Enumerable.Range(0, (int)Math.Ceiling(largest / GridStep) + 1).Select(i => (float)(i * GridStep)).Where(d => d < 4).Append(4f).ToArray();
        var measuredFrom = grid.First(d => differentPerson.CountAtOrBelow(d) >= MinimumMeasuredPairs);
        var anchor = differentPerson.ShareAtOrBelow(measuredFrom);
        var points = grid.Select(d => new CalibrationPoint(d,
            d >= measuredFrom ? differentPerson.ShareAtOrBelow(d) : anchor * Math.Pow(d / measuredFrom, exponent),
            samePerson.ShareAtOrBelow(d), d >= measuredFrom)).ToList();
        return (new CalibrationTail(TailModel, TailFittedPairs, fittedBelow, exponent, measuredFrom, MinimumMeasuredPairs), points);
    }

    /// <summary>
    /// The tail against pairs it was not fitted on: for each of <paramref name="splits"/> random splits, a table from the
    /// different-person pairs among a third of the people (about a ninth of the pairs, so its measured range ends near a
    /// rate ten times higher than the full table's) sets the threshold of each target rate, and the pairs with someone
    /// of the other two thirds say what rate that threshold gives.
    /// </summary>
    public static IReadOnlyList<CalibrationCheck> CheckTail(IReadOnlyList<PersonPair> differentPerson, DistanceDistribution samePerson, int people,
        IReadOnlyList<double> targetRates, int splits, int seed)
    {
        var random = new Random(seed);
        var results = targetRates.Select(_ => (Accepted: 0L, Expected: 0.0, Extrapolated: true)).ToArray();
        long fitted = 0, heldOut = 0;
        for (var split = 0; split < splits; split++)
        {
            var inFit = Enumerable.Range(0, people).Select(_ => random.Next(3) == 0).ToArray();
            var fitDistances = new List<float>();
            var heldOutDistances = new List<float>();
            foreach (var pair in differentPerson)
                (inFit[pair.PersonA] && inFit[pair.PersonB] ? fitDistances : heldOutDistances).Add(pair.Distance);
            var (tail, points) = Build(new DistanceDistribution(fitDistances), samePerson);
            var table = new DistanceCalibration($"split {split}", points, $"split {split}");
            var test = new DistanceDistribution(heldOutDistances);
            (fitted, heldOut) = (fitted + fitDistances.Count, heldOut + test.Count);
            for (var t = 0; t < targetRates.Count; t++)
            {
                var threshold = table.ThresholdFor(targetRates[t]);
                results[t] = (results[t].Accepted + test.CountAtOrBelow(threshold),
                    results[t].Expected + table.FalseAcceptRate(threshold) * test.Count,
                    results[t].Extrapolated && threshold < tail.MeasuredFrom);
            }
        }
        return targetRates.Select((rate, t) => new CalibrationCheck(rate, splits, fitted / splits, heldOut / splits, results[t].Extrapolated,
            (double)results[t].Accepted / heldOut, results[t].Accepted, results[t].Expected)).ToList();
    }
}
