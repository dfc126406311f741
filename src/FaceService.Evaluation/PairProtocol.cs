namespace FaceService.Evaluation;

/// <summary>A protocol pair with its squared distance, or null when a photo of it gave no face (the service answers 422).</summary>
public readonly record struct ScoredPair(int Fold, bool Same, float? Distance);

/// <param name="Accuracy">Mean over the folds of each fold's plain accuracy.</param>
/// <param name="StandardError">Standard deviation of the fold accuracies / √folds, as LFW reports it.</param>
/// <param name="Thresholds">The threshold each fold was decided with (chosen on the other folds).</param>
/// <param name="Pairs">Pairs counted.</param>
public sealed record ProtocolResult(double Accuracy, double StandardError, IReadOnlyList<float> Thresholds, int Pairs, int Errors)
{
    public double MeanThreshold => Thresholds.Average();
}

/// <summary>
/// LFW's verification protocol: for each fold, the threshold of highest accuracy on the other folds is applied to that
/// fold; the result is the mean of the fold accuracies ± their standard error. Pairs without a distance count as wrong
/// (a 422 is no answer), unless only answered pairs are asked for.
/// </summary>
public static class PairProtocol
{
    public static ProtocolResult Evaluate(IReadOnlyList<ScoredPair> pairs, bool answeredOnly = false)
    {
        var counted = answeredOnly ? pairs.Where(p => p.Distance is not null).ToList() : pairs.ToList();
        var folds = counted.Select(p => p.Fold).Distinct().Order().ToArray();
        if (folds.Length < 2) throw new ArgumentException("The protocol needs two or more folds.", nameof(pairs));
        var accuracies = new List<double>();
        var thresholds = new List<float>();
        var errors = 0;
        foreach (var fold in folds)
        {
            var threshold = BestThreshold(counted.Where(p => p.Fold != fold && p.Distance is not null).ToList());
            var test = counted.Where(p => p.Fold == fold).ToList();
            var wrong = test.Count(p => !Correct(p, threshold));
            errors += wrong;
            accuracies.Add(1 - (double)wrong / test.Count);
            thresholds.Add(threshold);
        }
        var mean = accuracies.Average();
        var sd = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Count - 1));
        return new ProtocolResult(mean, sd / Math.Sqrt(accuracies.Count), thresholds, counted.Count, errors);
    }

    /// <summary>Plain accuracy of "same iff distance ≤ threshold"; unanswered pairs count as wrong unless excluded.</summary>
    public static double AccuracyAt(IReadOnlyList<ScoredPair> pairs, float threshold, bool answeredOnly = false)
    {
        var counted = answeredOnly ? pairs.Where(p => p.Distance is not null).ToList() : pairs.ToList();
        return (double)counted.Count(p => Correct(p, threshold)) / counted.Count;
    }

    /// <summary>
    /// The threshold of highest plain accuracy: of the intervals between consecutive sorted distances that reach the best
    /// value, the middle of the widest, so that it does not hug one pair.
    /// </summary>
    public static float BestThreshold(IReadOnlyList<ScoredPair> answered)
    {
        var sorted = answered.OrderBy(p => p.Distance!.Value).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("No answered pair to choose a threshold on.", nameof(answered));
        // Below every distance: everything is "different", so the correct ones are the different-person pairs.
        var correct = sorted.Count(p => !p.Same);
        var best = correct;
        (float Low, float High) bestRun = (0, sorted[0].Distance!.Value);
        for (var i = 0; i < sorted.Length; i++)
        {
            correct += sorted[i].Same ? 1 : -1;
            if (i + 1 < sorted.Length && sorted[i + 1].Distance == sorted[i].Distance) continue;
            var run = (sorted[i].Distance!.Value, i + 1 < sorted.Length ? sorted[i + 1].Distance!.Value : 4f);
            if (correct > best || (correct == best && run.Item2 - run.Item1 > bestRun.High - bestRun.Low))
                (best, bestRun) = (correct, run);
        }
        return (bestRun.Low + bestRun.High) / 2;
    }

    private static bool Correct(ScoredPair pair, float threshold) =>
        pair.Distance is { } d && pair.Same == (d <= threshold);
}
