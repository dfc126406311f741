using FaceService.Core.Services;
using FaceService.Core.Storage;

namespace FaceService.Core.Tests;

/// <summary>The rule behind identify's allFaces: no subject is given to two faces of one photo.</summary>
public sealed class IdentityAssignmentTests
{
    private static FaceMatch M(string subject, float distance) => new(Guid.NewGuid(), subject, distance);

    [Fact]
    public void A_face_whose_best_subject_went_to_a_closer_face_gets_its_next_candidate()
    {
        IReadOnlyList<FaceMatch>[] candidates =
        [
            [M("ann", 0.10f), M("bob", 0.12f)],
            [M("ann", 0.05f), M("cy", 0.30f)],
        ];
        Assert.Equal([1, 0], IdentityAssignment.Assign(candidates, threshold: 0.2f));
    }

    [Fact]
    public void Candidates_beyond_the_threshold_are_never_assigned()
    {
        IReadOnlyList<FaceMatch>[] candidates =
        [
            [M("ann", 0.05f)],
            [M("ann", 0.06f), M("bob", 0.25f)],
        ];
        Assert.Equal([0, -1], IdentityAssignment.Assign(candidates, threshold: 0.2f));
    }

    [Fact]
    public void Equal_distances_go_to_the_earlier_face()
    {
        IReadOnlyList<FaceMatch>[] candidates = [[M("ann", 0.1f)], [M("ann", 0.1f)]];
        Assert.Equal([0, -1], IdentityAssignment.Assign(candidates, threshold: 0.1f));
    }

    [Fact]
    public void Faces_without_candidates_and_photos_without_faces_are_fine()
    {
        Assert.Empty(IdentityAssignment.Assign([], threshold: 1f));
        Assert.Equal([-1], IdentityAssignment.Assign([[]], threshold: 1f));
    }
}
