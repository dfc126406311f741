using FaceService.Core.Calibration;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Services;

/// <param name="Threshold">Squared distance at or below which a face is taken for the person compared with.</param>
/// <param name="ThresholdRate">The estimated share of strangers that threshold accepts over the decision's comparisons:
/// the false-accept rate of a verify, the false-positive identification rate of an identify.</param>
/// <param name="Comparisons">Stored faces the probe is compared with: 1 for two images, the subject's faces for a
/// verify against a subject, the collection's faces for an identify.</param>
public sealed record MatchDecision(float Threshold, double ThresholdRate, long Comparisons);

/// <summary>
/// How verify and identify decide, from the model's calibration. A request is decided for a rate: the estimated share
/// of strangers accepted. Verify at a false-accept rate over the stored faces the probe is compared with, since a
/// stranger compared with N faces is accepted if any one of them comes close enough (<see cref="GalleryRates"/>; two
/// images: one comparison; a subject: one per stored face of it). Identify at a false-positive identification rate
/// for the collection's number of subjects, judging each candidate against the other subjects nearest to the probe
/// (<see cref="IdentifyDecision"/>). Or the request gives a distance, and the answer states its rate. Request values
/// are validated here, once.
/// </summary>
public sealed class MatchDecisions(GalleryCalibration gallery, IOptions<RecognitionOptions> options)
{
    private readonly RecognitionOptions _options = options.Value;
    private readonly DistanceCalibration _calibration = gallery.Distances;

    /// <summary>Nearest subjects identify fetches from the store for k candidates (<see cref="CandidateRanking.CandidatesToFetch"/>).</summary>
    public int CandidatesToFetch(int k) => gallery.Ranking.CandidatesToFetch(k);

    /// <summary>Verify's rule: the request's distance, or its false-accept rate, or the configured rate.</summary>
    public DecisionRule ForVerify(float? threshold, double? maxFalseAcceptRate) =>
        Rule(threshold, maxFalseAcceptRate, "maxFalseAcceptRate", _options.VerifyMaxFalseAcceptRate);

    /// <summary>
    /// Identify's decision in a gallery of <paramref name="subjects"/>: the request's distance, or its false-positive
    /// identification rate, or the configured rate.
    /// </summary>
    public IdentifyDecision ForIdentify(float? threshold, double? maxFalsePositiveIdentificationRate, long subjects)
    {
        if (threshold is not null && maxFalsePositiveIdentificationRate is not null)
            throw Invalid("Give threshold or maxFalsePositiveIdentificationRate, not both.", "maxFalsePositiveIdentificationRate");
        ArgumentOutOfRangeException.ThrowIfNegative(subjects);
        return threshold is { } t
            ? new IdentifyDecision(gallery, subjects, RequireThreshold(t), null)
            : new IdentifyDecision(gallery, subjects, null,
                maxFalsePositiveIdentificationRate is { } r ? RequireRate(r, "maxFalsePositiveIdentificationRate") : _options.IdentifyMaxFalsePositiveIdentificationRate);
    }

    /// <summary>Estimated share of different-person pairs at or below the distance: the false-accept rate of one comparison.</summary>
    public double FalseAcceptRate(float distance) => _calibration.FalseAcceptRate(distance);

    /// <summary>Estimated share of strangers who come at least this close to one of <paramref name="comparisons"/> stored faces.</summary>
    public double StrangerRate(float distance, long comparisons) =>
        GalleryRates.FalsePositiveIdentificationRate(_calibration.FalseAcceptRate(distance), comparisons);

    /// <summary>The one rule of a request: a distance, or a rate over the comparisons it will make.</summary>
    public sealed class DecisionRule
    {
        private readonly MatchDecisions _decisions;
        private readonly float? _threshold;
        private readonly double _rate;

        internal DecisionRule(MatchDecisions decisions, float? threshold, double rate) => (_decisions, _threshold, _rate) = (decisions, threshold, rate);

        /// <summary>
        /// The decision for a probe compared with <paramref name="comparisons"/> stored faces: the largest distance whose
        /// per-comparison false-accept rate p keeps 1 − (1 − p)^N within the rate (N at least 1), or the request's distance.
        /// </summary>
        public MatchDecision ForComparisons(long comparisons)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(comparisons);
            var threshold = _threshold ?? _decisions.ThresholdFor(_rate, comparisons);
            return new MatchDecision(threshold, _decisions.StrangerRate(threshold, comparisons), comparisons);
        }
    }

    private float ThresholdFor(double rate, long comparisons) => _calibration.ThresholdFor(GalleryRates.FalseAcceptRateFor(rate, comparisons));

    private DecisionRule Rule(float? threshold, double? rate, string rateField, double configuredRate)
    {
        if (threshold is not null && rate is not null) throw Invalid($"Give threshold or {rateField}, not both.", rateField);
        return new DecisionRule(this, threshold is { } t ? RequireThreshold(t) : null, rate is { } r ? RequireRate(r, rateField) : configuredRate);
    }

    /// <summary>An explicit squared distance: greater than 0 and at most 4.</summary>
    internal static float RequireThreshold(float threshold) =>
        float.IsFinite(threshold) && threshold is > 0 and <= 4
            ? threshold
            : throw Invalid("threshold is a squared L2 distance: greater than 0 and at most 4.", "threshold");

    private static double RequireRate(double rate, string field) =>
        double.IsFinite(rate) && rate is > 0 and <= 1 ? rate : throw Invalid($"{field} is a rate: greater than 0 and at most 1.", field);

    private static FaceServiceException Invalid(string message, string field) => new(FaceServiceError.ValidationFailed, message, field);
}
