using FaceService.Core.Clustering;

namespace FaceService.Evaluation;

/// <summary>
/// A clustering against the true people. Pairwise: of the pairs put together, the share that are one person
/// (precision), and of the pairs of one person, the share put together (recall). BCubed (Bagga and Baldwin): the same
/// per face, averaged over faces, so that a large person does not outweigh the rest. Faces without a label (null) count
/// in no pair and no average.
/// </summary>
/// <param name="MixedClusters">Clusters (two faces or more) holding two people or more.</param>
/// <param name="SplitPeople">People with two faces or more whose faces are in two groups or more (clusters or singletons).</param>
/// <param name="LoneFacesLeftAlone">People with one face whose face stayed a singleton: "unknown" is right for them.</param>
public sealed record ClusteringScore(
    double PairwisePrecision, double PairwiseRecall, double BCubedPrecision, double BCubedRecall,
    int Clusters, int MixedClusters, int People, int PeopleWithSeveralFaces, int SplitPeople, int LoneFaces, int LoneFacesLeftAlone)
{
    public double PairwiseF1 => 2 * PairwisePrecision * PairwiseRecall / (PairwisePrecision + PairwiseRecall);

    public static ClusteringScore Of(ClusteringResult result, IReadOnlyList<string?> labels)
    {
        var group = new int[labels.Count];
        for (var c = 0; c < result.Clusters.Count; c++)
            foreach (var i in result.Clusters[c]) group[i] = c;
        var next = result.Clusters.Count;
        foreach (var i in result.Singletons) group[i] = next++;

        var labelled = Enumerable.Range(0, labels.Count).Where(i => labels[i] is not null).ToList();
        var cells = labelled.CountBy(i => (group[i], labels[i]!)).ToDictionary(c => c.Key, c => (long)c.Value);
        var groupSizes = labelled.CountBy(i => group[i]).ToDictionary(c => c.Key, c => (long)c.Value);
        var personSizes = labelled.CountBy(i => labels[i]!).ToDictionary(c => c.Key, c => (long)c.Value);
        static long Pairs(long n) => n * (n - 1) / 2;
        var together = cells.Values.Sum(Pairs);
        var putTogether = groupSizes.Values.Sum(Pairs);
        var samePerson = personSizes.Values.Sum(Pairs);

        var bCubedPrecision = labelled.Average(i => (double)cells[(group[i], labels[i]!)] / groupSizes[group[i]]);
        var bCubedRecall = labelled.Average(i => (double)cells[(group[i], labels[i]!)] / personSizes[labels[i]!]);
        var mixed = result.Clusters.Count(c => c.Select(i => labels[i]).OfType<string>().Distinct().Count() > 1);
        var groupsOfPerson = cells.Keys.GroupBy(k => k.Item2).ToDictionary(g => g.Key, g => g.Count());
        var several = personSizes.Where(p => p.Value > 1).Select(p => p.Key).ToList();
        var lone = personSizes.Where(p => p.Value == 1).Select(p => p.Key).ToHashSet();
        var singletons = result.Singletons.ToHashSet();
        var loneLeftAlone = labelled.Count(i => lone.Contains(labels[i]!) && singletons.Contains(i));
        return new ClusteringScore(
            putTogether == 0 ? 1 : (double)together / putTogether, samePerson == 0 ? 1 : (double)together / samePerson,
            bCubedPrecision, bCubedRecall, result.Clusters.Count, mixed, personSizes.Count, several.Count,
            several.Count(p => groupsOfPerson[p] > 1), lone.Count, loneLeftAlone);
    }
}
