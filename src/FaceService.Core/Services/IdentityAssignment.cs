namespace FaceService.Core.Services;

/// <summary>
/// Assigns subjects to the faces of one photo so that no subject is given to two faces (a person is not twice in one
/// picture). Greedy by confidence: all (face, candidate) pairs within the request's rule are taken surest first (lowest
/// <see cref="JudgedCandidate.Statistic"/>) and a pair is kept when neither its face nor its subject is taken yet, so
/// a face whose best subject went to a surer face falls back to its next candidate within the rule. O(P log P) for P
/// pairs; it can differ from the best total assignment (Hungarian) only when a face's best pair is beaten by a surer
/// pair of another face, where preferring the more confident match is the behaviour we want.
/// </summary>
public static class IdentityAssignment
{
    /// <param name="candidates">Per face, its judged candidates (one per subject).</param>
    /// <returns>Per face, the index of its assigned candidate, or -1.</returns>
    public static int[] Assign(IReadOnlyList<IReadOnlyList<JudgedCandidate>> candidates)
    {
        var pairs = new List<(double Statistic, int Face, int Candidate)>();
        for (var f = 0; f < candidates.Count; f++)
            for (var c = 0; c < candidates[f].Count; c++)
                if (candidates[f][c].WithinRule)
                    pairs.Add((candidates[f][c].Statistic, f, c));
        // Ties broken by face then candidate order so that the answer does not depend on the sort's stability.
        pairs.Sort();

        var assigned = new int[candidates.Count];
        Array.Fill(assigned, -1);
        var takenSubjects = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, face, candidate) in pairs)
        {
            if (assigned[face] >= 0 || !takenSubjects.Add(candidates[face][candidate].Match.Subject)) continue;
            assigned[face] = candidate;
        }
        return assigned;
    }
}
