using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Evaluation;

/// <summary>One identify search of a gallery: the nearest subjects as the store returns them (nearest first, as many as
/// identify fetches) and the enrolled person the probe shows, or null for a stranger (someone not enrolled).</summary>
public sealed record IdentificationSearch(string? Mate, IReadOnlyList<SubjectMatch> Nearest);

/// <summary>Counts of open-set searches; results of several galleries add up.</summary>
/// <param name="FalsePositives">Stranger searches matched to someone.</param>
/// <param name="FalseNegatives">Mated searches not matched to their own person: no match, or a match to someone else.</param>
/// <param name="Rank1">Mated searches whose surest candidate is their own person, whatever the rule.</param>
public sealed record OpenSetResult(int MatedSearches, int StrangerSearches, int FalsePositives, int FalseNegatives, int Rank1)
{
    public static readonly OpenSetResult None = new(0, 0, 0, 0, 0);

    /// <summary>FPIR: the share of stranger searches matched to someone.</summary>
    public double FalsePositiveIdentificationRate => (double)FalsePositives / StrangerSearches;

    /// <summary>FNIR: the share of mated searches not matched to their own person.</summary>
    public double FalseNegativeIdentificationRate => (double)FalseNegatives / MatedSearches;

    public double Rank1Rate => (double)Rank1 / MatedSearches;

    public static OpenSetResult operator +(OpenSetResult a, OpenSetResult b) => new(a.MatedSearches + b.MatedSearches,
        a.StrangerSearches + b.StrangerSearches, a.FalsePositives + b.FalsePositives, a.FalseNegatives + b.FalseNegatives, a.Rank1 + b.Rank1);
}

/// <summary>
/// Open-set identification measured the way NIST's 1:N evaluations do: mated searches (the probe's person is enrolled)
/// give the false-negative identification rate, non-mated searches (strangers) the false-positive identification rate.
/// A search's answer is the service's own: the decision's judgement of the candidates, then <see cref="IdentityAssignment"/>.
/// </summary>
public static class OpenSetIdentification
{
    public static OpenSetResult Evaluate(IReadOnlyList<IdentificationSearch> searches, IdentifyDecision decision, int k)
    {
        int mated = 0, strangers = 0, falsePositives = 0, falseNegatives = 0, rank1 = 0;
        foreach (var search in searches)
        {
            var judged = decision.Judge(search.Nearest).Take(k).ToList();
            var assigned = IdentityAssignment.Assign([judged])[0];
            var match = assigned >= 0 ? judged[assigned].Match.Subject : null;
            if (search.Mate is null)
            {
                strangers++;
                if (match is not null) falsePositives++;
                continue;
            }
            mated++;
            if (match != search.Mate) falseNegatives++;
            if (judged.Count > 0 && judged[0].Match.Subject == search.Mate) rank1++;
        }
        return new OpenSetResult(mated, strangers, falsePositives, falseNegatives, rank1);
    }
}
