using FaceService.Core.Storage;

namespace FaceService.Core.Calibration;

/// <summary>A candidate subject with its template-scaled false-accept rate (ln) and its statistic among the nearest.</summary>
public readonly record struct RankedCandidate(SubjectMatch Match, double LogFalseAcceptRate, double Statistic);

/// <summary>
/// Orders a face's nearest subjects by how surely each is the face's person, and says how far each stands out from
/// the others (<see cref="CalibrationIdentification"/>): s = ln of the false-accept rate of the distance to the
/// subject's template, read at the distance times the template's scale (<see cref="CalibrationTemplates"/>); the
/// statistic of a candidate is its s minus the mean s of the <see cref="Cohort"/> − 1 surest others (a missing one,
/// in a gallery smaller than the cohort, counts as s = 0: a rate of 1).
/// </summary>
public sealed class CandidateRanking
{
    // ln of the smallest rate a distance is given: the table's 0 at distance 0 would make the statistic −∞.
    private const double MinimumLogRate = -700;

    private readonly DistanceCalibration _distances;
    private readonly double[] _scales;

    /// <param name="scales">The distance scale of templates of 1, 2, … faces: the first 1, none smaller than the one before.</param>
    /// <exception cref="InvalidDataException">Scales or cohort out of range.</exception>
    public CandidateRanking(DistanceCalibration distances, IReadOnlyList<double> scales, int cohort)
    {
        if (scales.Count == 0 || scales[0] != 1) throw new InvalidDataException("Template scales start at one face with scale 1.");
        for (var i = 1; i < scales.Count; i++)
            if (!double.IsFinite(scales[i]) || scales[i] < scales[i - 1])
                throw new InvalidDataException($"Template scale for {i + 1} faces: finite and never below a smaller template's.");
        if (cohort < 2) throw new InvalidDataException("The identification cohort holds at least two subjects.");
        _distances = distances;
        _scales = [.. scales];
        Cohort = cohort;
    }

    /// <summary>Nearest subjects a candidate is judged among, itself included.</summary>
    public int Cohort { get; }

    /// <summary>
    /// Nearest subjects (by distance) to fetch for <paramref name="k"/> candidates: the cohort at least, and as many
    /// again, so that a larger template a little farther away than the k-th can take its place among the surest.
    /// </summary>
    public int CandidatesToFetch(int k) => Math.Min(Math.Max(k, Cohort) + Cohort, StoreLimits.MaxK);

    /// <summary>The factor that puts a template distance on the single-face scale (1 for one face).</summary>
    public double DistanceScale(int faces)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(faces, 1);
        return _scales[Math.Min(faces, _scales.Length) - 1];
    }

    /// <summary>Estimated share of other people within <paramref name="distance"/> of a template of <paramref name="faces"/> faces.</summary>
    public double FalseAcceptRate(float distance, int faces) =>
        _distances.FalseAcceptRate((float)Math.Min(4, distance * DistanceScale(faces)));

    /// <summary>
    /// The candidates surest first (lowest template-scaled rate; equal rates keep their given order), each with its
    /// statistic. <paramref name="nearest"/> should hold the cohort's number of nearest subjects where the gallery has them.
    /// </summary>
    public RankedCandidate[] Rank(IReadOnlyList<SubjectMatch> nearest)
    {
        var logRates = nearest.Select(m => (Match: m, LogRate: Math.Max(Math.Log(FalseAcceptRate(m.Distance, m.Faces)), MinimumLogRate)))
            .OrderBy(c => c.LogRate).ToList();
        var others = Cohort - 1;
        var ranked = new RankedCandidate[logRates.Count];
        for (var j = 0; j < ranked.Length; j++)
        {
            var sum = 0.0;
            for (int i = 0, taken = 0; i < logRates.Count && taken < others; i++)
            {
                if (i == j) continue;
                sum += logRates[i].LogRate;
                taken++;
            }
            ranked[j] = new RankedCandidate(logRates[j].Match, logRates[j].LogRate, logRates[j].LogRate - sum / others);
        }
        return ranked;
    }
}
