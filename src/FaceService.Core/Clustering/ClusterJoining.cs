using System.Numerics.Tensors;
using FaceService.Core.Calibration;

namespace FaceService.Core.Clustering;

/// <summary>
/// A cluster near a new face: the sum of its faces' unit vectors, their number, and whether it already holds a face of
/// the new face's photo (a person is never twice in one picture).
/// </summary>
public readonly record struct NearbyCluster(long ClusterId, float[] UnitSum, int Faces, bool HoldsPhoto);

/// <summary>
/// Where a new face goes among the clusters already made: the decisions of <see cref="PeopleClusterer"/> taken for one
/// face at a time, so that stored faces join their people as they arrive and a full recluster is only a refinement
/// (docs/CLUSTERING.md measures the two against each other).
/// <list type="number">
/// <item>The nearest cluster by average-link distance (the mean squared distance to its faces, exact from its sum:
/// 2 − 2·x·S/m) below <see cref="PeopleClusteringSettings.TightDistance"/>: joined.</item>
/// <item>Else a group of two faces or more that stands out from the face's other nearby clusters as the batch's second
/// stage asks of a face and a group: T = s(h) − the mean s of the cohort (s = ln FAR of h) below
/// <see cref="PeopleClusteringSettings.FaceAndGroupThreshold"/>, h below <see cref="PeopleClusteringSettings.MaxDistance"/>,
/// and h above the mean spread of the face and the group by less than <see cref="PeopleClusteringSettings.MaxGap"/>.
/// Unlike the batch, only the face's side of the evidence is known (the group's own cohort is not kept).</item>
/// <item>Else a cluster of its own.</item>
/// </list>
/// </summary>
public sealed class ClusterJoining(DistanceCalibration calibration, PeopleClusteringSettings? settings = null)
{
    /// <summary>Nearby clusters to fetch per face: the cohort, the candidate, and room for clusters the photo holds.</summary>
    public const int NearbyToFetch = 16;

    private readonly PeopleClusteringSettings _settings = settings ?? new PeopleClusteringSettings();

    /// <summary>
    /// For each face of one photo (unit vectors), the cluster it joins, or null for a new cluster of its own. Two faces of
    /// the photo never join the same cluster: the surer claim (the smaller distance) takes it, the other looks again.
    /// </summary>
    /// <param name="nearby">Per face, the clusters near it (any order).</param>
    public long?[] ChooseForPhoto(IReadOnlyList<float[]> faces, IReadOnlyList<IReadOnlyList<NearbyCluster>> nearby)
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(nearby);
        if (faces.Count != nearby.Count) throw new ArgumentException("One list of nearby clusters per face.", nameof(nearby));
        var chosen = new long?[faces.Count];
        var taken = new HashSet<long>();
        var open = Enumerable.Range(0, faces.Count).ToList();
        while (open.Count > 0)
        {
            var claims = open.Select(f => (Face: f, Choice: Choose(faces[f], nearby[f], taken))).ToList();
            var surest = claims.Where(c => c.Choice is not null).OrderBy(c => c.Choice!.Value.Distance).FirstOrDefault();
            if (surest.Choice is not { } choice) break;
            chosen[surest.Face] = choice.ClusterId;
            taken.Add(choice.ClusterId);
            open.Remove(surest.Face);
        }
        return chosen;
    }

    /// <summary>The cluster one face joins among those near it (none taken by its photo), with its average-link distance.</summary>
    public (long ClusterId, float Distance)? Choose(ReadOnlySpan<float> face, IReadOnlyList<NearbyCluster> nearby, IReadOnlySet<long>? taken = null)
    {
        var candidates = new List<(NearbyCluster Cluster, float Distance, double LogRate)>(nearby.Count);
        foreach (var cluster in nearby)
        {
            if (cluster.Faces < 1) continue;
            var distance = Math.Clamp(2 - 2 * TensorPrimitives.Dot(face, cluster.UnitSum) / cluster.Faces, 0f, 4f);
            candidates.Add((cluster, distance, LogRate(distance)));
        }
        if (candidates.Count == 0) return null;
        candidates.Sort((a, b) => a.Distance.CompareTo(b.Distance));

        var open = candidates.FindIndex(c => !c.Cluster.HoldsPhoto && taken?.Contains(c.Cluster.ClusterId) != true);
        if (open < 0) return null;
        var (best, h, s) = candidates[open];
        if (h < _settings.TightDistance) return (best.ClusterId, h);
        if (best.Faces < 2 || h >= _settings.MaxDistance) return null;
        var gap = h - (_settings.SingleFaceSpread + Spread(best)) / 2;
        if (gap >= _settings.MaxGap) return null;

        // The cohort: the nearest other clusters, those the photo holds included (they are evidence of what is near),
        // missing places counted at the largest rate seen, as the batch does.
        var cohort = _settings.Cohort;
        var others = candidates.Where((_, i) => i != open).Take(cohort).Select(c => c.LogRate).ToList();
        var largest = candidates.Max(c => c.LogRate);
        var cohortMean = (others.Sum() + (cohort - others.Count) * largest) / cohort;
        return s - cohortMean < _settings.FaceAndGroupThreshold ? (best.ClusterId, h) : null;
    }

    /// <summary>Mean squared distance between a cluster's faces: (2m² − 2|S|²) / (m(m − 1)).</summary>
    private static float Spread(NearbyCluster cluster)
    {
        var m = (float)cluster.Faces;
        return (2 * m * m - 2 * TensorPrimitives.Dot(cluster.UnitSum, cluster.UnitSum)) / (m * (m - 1));
    }

    private double LogRate(float distance) => Math.Max(Math.Log(calibration.FalseAcceptRate(distance)), -700);
}
