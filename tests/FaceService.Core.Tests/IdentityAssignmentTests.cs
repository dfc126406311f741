using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Core.Tests;

/// <summary>The rule behind identify's allFaces: no subject is given to two faces of one photo.</summary>
public sealed class IdentityAssignmentTests
{
    /// <summary>A candidate with its statistic (lower: surer), within the request's rule or not.</summary>
    private static JudgedCandidate C(string subject, double statistic, bool within = true) =>
        new(new SubjectMatch(subject, 1, 0.1f), 1e-5, statistic, 1e-3, within);

    [Fact]
    public void A_face_whose_best_subject_went_to_a_surer_face_gets_its_next_candidate()
    {
        IReadOnlyList<JudgedCandidate>[] candidates =
        [
            [C("ann", -8), C("bob", -6)],
            [C("ann", -10), C("cy", -1, within: false)],
        ];
        Assert.Equal([1, 0], IdentityAssignment.Assign(candidates));
    }

    [Fact]
    public void Candidates_outside_the_rule_are_never_assigned()
    {
        IReadOnlyList<JudgedCandidate>[] candidates =
        [
            [C("ann", -10)],
            [C("ann", -9), C("bob", -2, within: false)],
        ];
        Assert.Equal([0, -1], IdentityAssignment.Assign(candidates));
    }

    [Fact]
    public void Equal_statistics_go_to_the_earlier_face()
    {
        IReadOnlyList<JudgedCandidate>[] candidates = [[C("ann", -7)], [C("ann", -7)]];
        Assert.Equal([0, -1], IdentityAssignment.Assign(candidates));
    }

    [Fact]
    public void Faces_without_candidates_and_photos_without_faces_are_fine()
    {
        Assert.Empty(IdentityAssignment.Assign([]));
        Assert.Equal([-1], IdentityAssignment.Assign([[]]));
    }
}
