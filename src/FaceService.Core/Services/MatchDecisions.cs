using FaceService.Core.Calibration;
using Microsoft.Extensions.Options;

namespace FaceService.Core.Services;

/// <param name="Threshold">Squared distance at or below which the faces are the same person.</param>
/// <param name="ThresholdFalseAcceptRate">The estimated false-accept rate of that threshold.</param>
public sealed record VerifyDecision(float Threshold, double ThresholdFalseAcceptRate);

/// <param name="Threshold">Squared distance at or below which a candidate is a match.</param>
/// <param name="ThresholdFalsePositiveIdentificationRate">The estimated share of strangers that threshold matches to
/// someone in a gallery of <paramref name="GalleryFaces"/> faces.</param>
public sealed record IdentifyDecision(float Threshold, double ThresholdFalsePositiveIdentificationRate, long GalleryFaces);

/// <summary>
/// How verify and identify decide, from the model's calibration: thresholds follow a stated false-accept rate (verify)
/// or false-positive identification rate at the gallery's size (identify), unless the request gives a distance; and
/// every distance is reported with its estimated rates. Request values are validated here, once.
/// </summary>
public sealed class MatchDecisions(DistanceCalibration calibration, IOptions<RecognitionOptions> options)
{
    private readonly RecognitionOptions _options = options.Value;

    /// <summary>The request's threshold, or the one for its false-accept rate, or for the configured rate.</summary>
    public VerifyDecision ForVerify(float? threshold, double? maxFalseAcceptRate)
    {
        RequireOneOf(threshold, maxFalseAcceptRate, "maxFalseAcceptRate");
        if (threshold is not null)
        {
            var limit = RequireThreshold(threshold.Value);
            return new VerifyDecision(limit, calibration.FalseAcceptRate(limit));
        }
        var target = maxFalseAcceptRate is { } rate ? RequireRate(rate, "maxFalseAcceptRate") : _options.VerifyMaxFalseAcceptRate;
        var fromRate = calibration.ThresholdFor(target);
        return new VerifyDecision(fromRate, calibration.FalseAcceptRate(fromRate));
    }

    /// <summary>The request's rule, validated; the threshold follows once the gallery's size is known.</summary>
    public IdentifyRule ForIdentify(float? threshold, double? maxFalsePositiveIdentificationRate)
    {
        RequireOneOf(threshold, maxFalsePositiveIdentificationRate, "maxFalsePositiveIdentificationRate");
        return new IdentifyRule(this,
            threshold is { } t ? RequireThreshold(t) : null,
            maxFalsePositiveIdentificationRate is { } rate
                ? RequireRate(rate, "maxFalsePositiveIdentificationRate")
                : _options.IdentifyMaxFalsePositiveIdentificationRate);
    }

    /// <summary>Estimated share of different-person pairs at or below the distance.</summary>
    public double FalseAcceptRate(float distance) => calibration.FalseAcceptRate(distance);

    /// <summary>Estimated share of strangers whose nearest face in a gallery of this size is at or below the distance.</summary>
    public double FalsePositiveIdentificationRate(float distance, long galleryFaces) =>
        GalleryRates.FalsePositiveIdentificationRate(calibration.FalseAcceptRate(distance), galleryFaces);

    /// <summary>The one rule of an identify request: a distance, or a false-positive identification rate.</summary>
    public sealed class IdentifyRule
    {
        private readonly MatchDecisions _decisions;
        private readonly float? _threshold;
        private readonly double _maxFalsePositiveIdentificationRate;

        internal IdentifyRule(MatchDecisions decisions, float? threshold, double maxFalsePositiveIdentificationRate) =>
            (_decisions, _threshold, _maxFalsePositiveIdentificationRate) = (decisions, threshold, maxFalsePositiveIdentificationRate);

        /// <summary>
        /// The threshold for a gallery of <paramref name="galleryFaces"/> faces: the largest distance whose per-comparison
        /// false-accept rate p keeps 1 − (1 − p)^N within the rate (N at least 1), or the request's distance.
        /// </summary>
        public IdentifyDecision ForGallery(long galleryFaces)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(galleryFaces);
            var threshold = _threshold ?? _decisions.ThresholdForGallery(_maxFalsePositiveIdentificationRate, galleryFaces);
            return new IdentifyDecision(threshold, _decisions.FalsePositiveIdentificationRate(threshold, galleryFaces), galleryFaces);
        }
    }

    private float ThresholdForGallery(double maxFalsePositiveIdentificationRate, long galleryFaces) =>
        calibration.ThresholdFor(GalleryRates.FalseAcceptRateFor(maxFalsePositiveIdentificationRate, galleryFaces));

    /// <summary>An explicit squared distance: greater than 0 and at most 4.</summary>
    internal static float RequireThreshold(float threshold) =>
        float.IsFinite(threshold) && threshold is > 0 and <= 4
            ? threshold
            : throw Invalid("threshold is a squared L2 distance: greater than 0 and at most 4.", "threshold");

    private static double RequireRate(double rate, string field) =>
        double.IsFinite(rate) && rate is > 0 and <= 1 ? rate : throw Invalid($"{field} is a rate: greater than 0 and at most 1.", field);

    private static void RequireOneOf(float? threshold, double? rate, string rateField)
    {
        if (threshold is not null && rate is not null) throw Invalid($"Give threshold or {rateField}, not both.", rateField);
    }

    private static FaceServiceException Invalid(string message, string field) => new(FaceServiceError.ValidationFailed, message, field);
}
