using FaceService.Core.Storage;

namespace FaceService.Core.Services;

/// <summary>
/// Assigns subjects to the faces of one photo so that no subject is given to two faces (a person is not twice in one
/// picture). Greedy by distance: all (face, candidate) pairs within the threshold are taken in ascending distance and a
/// pair is kept when neither its face nor its subject is taken yet, so a face whose best subject went to a closer face
/// falls back to its next candidate. O(P log P) for P pairs; it can differ from the minimum-total-distance (Hungarian)
/// assignment only when a face's best pair is beaten by a closer pair of another face, where preferring the more
/// confident match is the behaviour we want.
/// </summary>
public static class IdentityAssignment
{
    /// <param name="candidates">Per face, its candidates (one per subject).</param>
    /// <returns>Per face, the index of its assigned candidate, or -1.</returns>
    public static int[] Assign(IReadOnlyList<IReadOnlyList<FaceMatch>> candidates, float threshold)
    {
        var pairs = new List<(float Distance, int Face, int Candidate)>();
        for (var f = 0; f < candidates.Count; f++)
            for (var c = 0; c < candidates[f].Count; c++)
                if (candidates[f][c].Distance <= threshold)
                    pairs.Add((candidates[f][c].Distance, f, c));
        // Ties broken by face then candidate order so that the answer does not depend on the sort's stability.
        pairs.Sort();

        var assigned = new int[candidates.Count];
        Array.Fill(assigned, -1);
        var takenSubjects = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, face, candidate) in pairs)
        {
            if (assigned[face] >= 0 || !takenSubjects.Add(candidates[face][candidate].Subject)) continue;
            assigned[face] = candidate;
        }
        return assigned;
    }
}
