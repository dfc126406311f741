namespace FaceService.Inference.Tests;

/// <summary>One comparison of two photos: squared distance and whether they show the same person.</summary>
internal readonly record struct ScoredPair(string PersonA, string PersonB, float Distance)
{
    public bool Same => PersonA == PersonB;
}

/// <summary>Verification metrics over all pairs of a labelled set; "accuracy" is balanced (mean of TPR and TNR).</summary>
internal static class VerificationMetrics
{
    public static List<ScoredPair> AllPairs(IReadOnlyList<(string Person, float[] Embedding)> faces, Func<int, int, float> distance)
    {
        var pairs = new List<ScoredPair>();
        for (var i = 0; i < faces.Count; i++)
        for (var j = i + 1; j < faces.Count; j++)
            pairs.Add(new ScoredPair(faces[i].Person, faces[j].Person, distance(i, j)));
        return pairs;
    }

    /// <summary>ROC AUC = P(a same-person pair is closer than a different-person pair), ties counted half.</summary>
    public static double RocAuc(IReadOnlyList<ScoredPair> pairs)
    {
        var same = pairs.Where(p => p.Same).Select(p => p.Distance).ToArray();
        var different = pairs.Where(p => !p.Same).Select(p => p.Distance).OrderBy(d => d).ToArray();
        double wins = 0;
        foreach (var d in same)
        {
            var below = LowerBound(different, d);
            var upTo = UpperBound(different, d);
            wins += different.Length - upTo + 0.5 * (upTo - below);
        }
        return wins / ((double)same.Length * different.Length);
    }

    /// <summary>Plain accuracy of "same person iff distance ≤ threshold" over all pairs (most are different-person pairs).</summary>
    public static double Accuracy(IReadOnlyList<ScoredPair> pairs, float threshold) =>
        (double)pairs.Count(p => p.Same == (p.Distance <= threshold)) / pairs.Count;

    /// <summary>Balanced accuracy of "same person iff distance ≤ threshold".</summary>
    public static double BalancedAccuracy(IReadOnlyList<ScoredPair> pairs, float threshold)
    {
        int same = 0, different = 0, truePositive = 0, trueNegative = 0;
        foreach (var p in pairs)
        {
            if (p.Same) { same++; if (p.Distance <= threshold) truePositive++; }
            else { different++; if (p.Distance > threshold) trueNegative++; }
        }
        return 0.5 * ((double)truePositive / same + (double)trueNegative / different);
    }

    /// <summary>
    /// The threshold of highest balanced accuracy: of the candidate thresholds (midpoints between consecutive sorted
    /// distances) that reach the best value, the middle of the widest run, so that it does not hug one sample.
    /// </summary>
    public static float CalibrateThreshold(IReadOnlyList<ScoredPair> pairs)
    {
        var sorted = pairs.OrderBy(p => p.Distance).ToArray();
        int same = sorted.Count(p => p.Same), different = sorted.Length - same;
        int truePositive = 0, falsePositive = 0;
        var best = double.MinValue;
        (float Low, float High) bestRun = default;
        for (var i = 0; i < sorted.Length - 1; i++)
        {
            if (sorted[i].Same) truePositive++; else falsePositive++;
            if (sorted[i + 1].Distance == sorted[i].Distance) continue;
            var accuracy = 0.5 * ((double)truePositive / same + (double)(different - falsePositive) / different);
            // The interval (d[i], d[i+1]) is where this accuracy holds; keep the widest of the best.
            var run = (sorted[i].Distance, sorted[i + 1].Distance);
            if (accuracy > best + 1e-12 || (Math.Abs(accuracy - best) <= 1e-12 && run.Item2 - run.Item1 > bestRun.High - bestRun.Low))
                (best, bestRun) = (accuracy, run);
        }
        return (bestRun.Low + bestRun.High) / 2;
    }

    /// <summary>
    /// Leave-one-person-out: for each person, the threshold is calibrated on pairs without that person and tested on
    /// the pairs with them. Returns balanced accuracy pooled over all held-out decisions (a different-person pair is
    /// held out twice, once for each of its people).
    /// </summary>
    public static (double BalancedAccuracy, float MinThreshold, float MaxThreshold) LeaveOnePersonOut(IReadOnlyList<ScoredPair> pairs)
    {
        var people = pairs.SelectMany(p => new[] { p.PersonA, p.PersonB }).Distinct().ToArray();
        int same = 0, different = 0, truePositive = 0, trueNegative = 0;
        float min = float.MaxValue, max = float.MinValue;
        foreach (var person in people)
        {
            var training = pairs.Where(p => p.PersonA != person && p.PersonB != person).ToList();
            var threshold = CalibrateThreshold(training);
            (min, max) = (Math.Min(min, threshold), Math.Max(max, threshold));
            foreach (var p in pairs.Where(p => p.PersonA == person || p.PersonB == person))
            {
                if (p.Same) { same++; if (p.Distance <= threshold) truePositive++; }
                else { different++; if (p.Distance > threshold) trueNegative++; }
            }
        }
        return (0.5 * ((double)truePositive / same + (double)trueNegative / different), min, max);
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) / 2; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int UpperBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) / 2; if (sorted[mid] <= value) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
