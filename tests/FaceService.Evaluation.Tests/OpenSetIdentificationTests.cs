using FaceService.Core.Calibration;
using FaceService.Core.Services;
using FaceService.Core.Storage;
using Microsoft.Extensions.Options;

namespace FaceService.Evaluation.Tests;

public sealed class OpenSetIdentificationTests
{
    private static IReadOnlyList<SubjectMatch> Candidates(params (string Subject, float Distance)[] nearestFirst) =>
        nearestFirst.Select(c => new SubjectMatch(c.Subject, 1, c.Distance)).ToList();

    private static readonly IdentificationSearch[] Searches =
    [
        new("ann", Candidates(("ann", 0.05f), ("bob", 0.3f))),   // found
        new("ann", Candidates(("ann", 0.12f), ("bob", 0.3f))),   // rank 1, but beyond 0.1: missed
        new("bob", Candidates(("ann", 0.08f), ("bob", 0.09f))),  // someone else matched first: missed, not rank 1
        new(null, Candidates(("ann", 0.07f))),                   // stranger matched
        new(null, Candidates(("bob", 0.2f))),                    // stranger rejected
        new(null, Candidates()),                                 // empty gallery
    ];

    /// <summary>A distance table (rates log-linear from 1e-6 at 0.1 to 1 at 1) and one stranger table; decisions by distance here.</summary>
    internal static MatchDecisions Decisions()
    {
        var distances = new DistanceCalibration("m", [new(0f, 0, 0, false), new(0.1f, 1e-6, 0.5, false), new(1f, 1, 1, true), new(4f, 1, 1, true)], "test");
        var gallery = new GalleryCalibration(distances, new CalibrationTemplates("test", [new TemplateScale(1, 1, 1, 1)]),
            new CalibrationIdentification("test", 5, [new StrangerTable(1, 10, 1, [new(-5, 0.01), new(0, 1)])], []));
        return new MatchDecisions(gallery, Options.Create(new RecognitionOptions()));
    }

    [Fact]
    public void Mated_searches_give_misses_and_rank_1_and_stranger_searches_give_false_positives()
    {
        var decisions = Decisions();
        var result = OpenSetIdentification.Evaluate(Searches, decisions.ForIdentify(0.1f, null, 2), k: 5);
        Assert.Equal(new OpenSetResult(MatedSearches: 3, StrangerSearches: 3, FalsePositives: 1, FalseNegatives: 2, Rank1: 2), result);
        Assert.Equal(1 / 3.0, result.FalsePositiveIdentificationRate);
        Assert.Equal(2 / 3.0, result.FalseNegativeIdentificationRate);
        Assert.Equal(2 / 3.0, result.Rank1Rate);

        var loose = OpenSetIdentification.Evaluate(Searches, decisions.ForIdentify(0.25f, null, 2), k: 5);
        Assert.Equal((2, 1), (loose.FalsePositives, loose.FalseNegatives));
        Assert.Equal(new OpenSetResult(6, 6, 3, 3, 4), result + loose);
    }
}
