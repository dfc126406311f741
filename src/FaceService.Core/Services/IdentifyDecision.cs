using FaceService.Core.Calibration;
using FaceService.Core.Storage;

namespace FaceService.Core.Services;

/// <summary>A candidate subject of one face, judged.</summary>
/// <param name="FalseAcceptRate">Estimated share of other people at least this close to the subject's template.</param>
/// <param name="Statistic">How far the candidate stands out from the other subjects nearest to the face: ln of its
/// false-accept rate minus the mean ln rate of the others (<see cref="CalibrationIdentification"/>); lower is surer.</param>
/// <param name="FalsePositiveIdentificationRate">Estimated share of strangers whose nearest subject in this gallery
/// stands out at least as much.</param>
/// <param name="WithinRule">Within the request's rule: a stranger rate at most the rate asked for, or a distance at
/// most the distance given.</param>
public sealed record JudgedCandidate(SubjectMatch Match, double FalseAcceptRate, double Statistic, double FalsePositiveIdentificationRate, bool WithinRule);

/// <summary>
/// Identify's decision for one request: a distance given by the request, or a false-positive identification rate at
/// the gallery's size. A face's candidates are judged together: a subject is a match when it stands out from the
/// other subjects nearest to the face so far that a stranger's nearest subject would do so at most at the rate asked
/// for. One distance cannot do that at gallery scale: the distance that keeps strangers out of a large gallery also
/// cuts off a large share of the people enrolled in it (docs/ACCURACY.md, Identification).
/// </summary>
public sealed class IdentifyDecision
{
    private readonly GalleryCalibration _gallery;
    private readonly double _statisticLimit;

    internal IdentifyDecision(GalleryCalibration gallery, long subjects, float? threshold, double? maxRate)
    {
        _gallery = gallery;
        GallerySubjects = subjects;
        Threshold = threshold;
        MaxFalsePositiveIdentificationRate = maxRate;
        if (maxRate is { } rate) _statisticLimit = gallery.StatisticFor(rate, Math.Max(subjects, 1));
    }

    public long GallerySubjects { get; }

    /// <summary>The request's distance, when it gave one.</summary>
    public float? Threshold { get; }

    /// <summary>The rate matches are held to, when the request gave no distance.</summary>
    public double? MaxFalsePositiveIdentificationRate { get; }

    /// <summary>
    /// The candidates of one face, surest first (by template-scaled false-accept rate), each judged among the
    /// <see cref="CandidateRanking.Cohort"/> nearest. <paramref name="nearest"/> holds at least the cohort's number
    /// of nearest subjects where the gallery has them; fewer mean a smaller gallery (a missing one counts as a rate of 1).
    /// </summary>
    public IReadOnlyList<JudgedCandidate> Judge(IReadOnlyList<SubjectMatch> nearest) =>
        _gallery.Ranking.Rank(nearest).Select(c => new JudgedCandidate(c.Match, Math.Exp(c.LogFalseAcceptRate), c.Statistic,
            _gallery.StrangerRate(c.Statistic, Math.Max(GallerySubjects, 1)),
            Threshold is { } t ? c.Match.Distance <= t : c.Statistic <= _statisticLimit)).ToList();
}
