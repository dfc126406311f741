namespace FaceService.Evaluation;

/// <summary>A protocol pair with its squared distance, or null when a photo of it gave no face (the service answers 422).</summary>
public readonly record struct ScoredPair(int Fold, bool Same, float? Distance);

/// <param name="Accuracy">Mean over the folds of each fold's plain accuracy.</param>
/// <param name="StandardError">Standard deviation of the fold accuracies / √folds, as LFW reports it.</param>
/// <param name="Thresholds">The threshold each fold was decided with (chosen on the other folds).</param>
/// <param name="Pairs">Pairs counted.</param>
/// <param name="Wrong">Indices (into the pairs evaluated) of the counted pairs decided wrongly by their fold's threshold.</param>
public sealed record ProtocolResult(double Accuracy, double StandardError, IReadOnlyList<float> Thresholds, int Pairs, IReadOnlyList<int> Wrong)
{
    public int Errors => Wrong.Count;

    public double MeanThreshold => Thresholds.Average();
}

/// <summary>
/// LFW's verification protocol: for each fold, the threshold of highest accuracy on the other folds is applied to that
/// fold; the result is the mean of the fold accuracies ± their standard error. Pairs without a distance count as wrong
/// (a 422 is no answer), unless only answered pairs are asked for. LFW's View 2 has as many same-person as
/// different-person pairs; a set with another mix (lfw-dev has three different-person pairs to each same-person pair)
/// can be scored <c>balanced</c>: the mean of the two classes' accuracies, for threshold choice and score alike, which
/// is what plain accuracy on a balanced set estimates.
/// </summary>
public static class PairProtocol
{
    public static ProtocolResult Evaluate(IReadOnlyList<ScoredPair> pairs, bool answeredOnly = false, bool balanced = false)
    {
        var counted = answeredOnly ? pairs.Where(p => p.Distance is not null).ToList() : pairs.ToList();
        var folds = counted.Select(p => p.Fold).Distinct().Order().ToArray();
        if (folds.Length < 2) throw new ArgumentException("The protocol needs two or more folds.", nameof(pairs));
        var accuracies = new List<double>();
        var thresholds = new List<float>();
        var wrong = new List<int>();
        foreach (var fold in folds)
        {
            var threshold = BestThreshold(counted.Where(p => p.Fold != fold && p.Distance is not null).ToList(), balanced);
            var test = counted.Where(p => p.Fold == fold).ToList();
            wrong.AddRange(Enumerable.Range(0, pairs.Count).Where(i => pairs[i].Fold == fold && (!answeredOnly || pairs[i].Distance is not null)
                                                                      && !Correct(pairs[i], threshold)));
            accuracies.Add(AccuracyAt(test, threshold, answeredOnly, balanced));
            thresholds.Add(threshold);
        }
        var mean = accuracies.Average();
        var sd = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Count - 1));
        return new ProtocolResult(mean, sd / Math.Sqrt(accuracies.Count), thresholds, counted.Count, wrong);
    }

    /// <summary>Accuracy (plain or balanced) of "same iff distance ≤ threshold"; unanswered pairs count as wrong unless excluded.</summary>
    public static double AccuracyAt(IReadOnlyList<ScoredPair> pairs, float threshold, bool answeredOnly = false, bool balanced = false)
    {
        var counted = answeredOnly ? pairs.Where(p => p.Distance is not null).ToList() : pairs.ToList();
        if (!balanced) return (double)counted.Count(p => Correct(p, threshold)) / counted.Count;
        var (same, different) = (counted.Where(p => p.Same).ToList(), counted.Where(p => !p.Same).ToList());
        return 0.5 * ((double)same.Count(p => Correct(p, threshold)) / same.Count + (double)different.Count(p => Correct(p, threshold)) / different.Count);
    }

    /// <summary>
    /// The threshold of highest accuracy (plain, or balanced: each same-person pair weighted by the share of
    /// different-person pairs and vice versa): of the intervals between consecutive sorted distances that reach the best
    /// value, the middle of the widest, so that it does not hug one pair.
    /// </summary>
    public static float BestThreshold(IReadOnlyList<ScoredPair> answered, bool balanced = false)
    {
        var sorted = answered.OrderBy(p => p.Distance!.Value).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("No answered pair to choose a threshold on.", nameof(answered));
        var sameCount = sorted.Count(p => p.Same);
        var (sameWeight, differentWeight) = balanced ? ((double)(sorted.Length - sameCount), (double)sameCount) : (1.0, 1.0);
        // Below every distance: everything is "different", so the correct ones are the different-person pairs.
        var correct = (sorted.Length - sameCount) * differentWeight;
        var best = correct;
        (float Low, float High) bestRun = (0, sorted[0].Distance!.Value);
        for (var i = 0; i < sorted.Length; i++)
        {
            correct += sorted[i].Same ? sameWeight : -differentWeight;
            if (i + 1 < sorted.Length && sorted[i + 1].Distance == sorted[i].Distance) continue;
            var run = (sorted[i].Distance!.Value, i + 1 < sorted.Length ? sorted[i + 1].Distance!.Value : 4f);
            if (correct > best + 1e-9 || (Math.Abs(correct - best) <= 1e-9 && run.Item2 - run.Item1 > bestRun.High - bestRun.Low))
                (best, bestRun) = (correct, run);
        }
        return (bestRun.Low + bestRun.High) / 2;
    }

    private static bool Correct(ScoredPair pair, float threshold) =>
        pair.Distance is { } d && pair.Same == (d <= threshold);
}
