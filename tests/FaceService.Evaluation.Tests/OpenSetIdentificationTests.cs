using FaceService.Core.Storage;

namespace FaceService.Evaluation.Tests;

public sealed class OpenSetIdentificationTests
{
    private static IReadOnlyList<FaceMatch> Candidates(params (string Subject, float Distance)[] nearestFirst) =>
        nearestFirst.Select(c => new FaceMatch(Guid.Empty, c.Subject, c.Distance)).ToList();

    private static readonly IdentificationSearch[] Searches =
    [
        new("ann", Candidates(("ann", 0.05f), ("bob", 0.3f))),   // found
        new("ann", Candidates(("ann", 0.12f), ("bob", 0.3f))),   // rank 1, but beyond 0.1: missed
        new("bob", Candidates(("ann", 0.08f), ("bob", 0.09f))),  // someone else matched first: missed, not rank 1
        new(null, Candidates(("ann", 0.07f))),                   // stranger matched
        new(null, Candidates(("bob", 0.2f))),                    // stranger rejected
        new(null, Candidates()),                                 // empty gallery
    ];

    [Fact]
    public void Mated_searches_give_misses_and_rank_1_and_stranger_searches_give_false_positives()
    {
        var result = OpenSetIdentification.Evaluate(Searches, 0.1f);
        Assert.Equal(new OpenSetResult(MatedSearches: 3, StrangerSearches: 3, FalsePositives: 1, FalseNegatives: 2, Rank1: 2), result);
        Assert.Equal(1 / 3.0, result.FalsePositiveIdentificationRate);
        Assert.Equal(2 / 3.0, result.FalseNegativeIdentificationRate);
        Assert.Equal(2 / 3.0, result.Rank1Rate);

        var loose = OpenSetIdentification.Evaluate(Searches, 0.25f);
        Assert.Equal((2, 1), (loose.FalsePositives, loose.FalseNegatives));
        Assert.Equal(new OpenSetResult(6, 6, 3, 3, 4), result + loose);
    }
}
