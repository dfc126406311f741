using FaceService.Core.Storage;
using System.ComponentModel.DataAnnotations;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;

namespace FaceService.Core.Services;

/// <summary>Decision thresholds and per-request bounds of the face services, bound from the "Recognition" section.</summary>
public sealed class RecognitionOptions : IValidatableObject
{
    public const string SectionName = "Recognition";

    /// <summary>
    /// The false-accept rate verify's default threshold is set for: the estimated share of pairs of different people
    /// it calls the same (models/calibration). Chosen in docs/ACCURACY.md, False-accept rates.
    /// </summary>
    public double VerifyMaxFalseAcceptRate { get; set; } = 1e-3;

    /// <summary>
    /// The share of strangers identify's default threshold may match to someone, at the searched collection's size:
    /// the larger the gallery, the stricter the threshold.
    /// </summary>
    public double IdentifyMaxFalsePositiveIdentificationRate { get; set; } = 0.01;

    /// <summary>Linkage distance at which agglomerative clustering stops merging (a distance: clusters have no gallery).</summary>
    [Range(0.0001, 4.0)] public float ClusterThreshold { get; set; } = VerificationDefaults.Threshold;

    public Linkage ClusterLinkage { get; set; } = Linkage.Average;

    /// <summary>Candidates per face when identify is not given k.</summary>
    [Range(1, 1000)] public int DefaultK { get; set; } = 5;

    [Range(1, StoreLimits.MaxK)] public int MaxK { get; set; } = 100;

    /// <summary>Images of one request analyzed at the same time (bounds decoded-pixel memory per request).</summary>
    [Range(1, 64)] public int ImageConcurrency { get; set; } = 2;

    [Range(1, StoreLimits.MaxPageSize)] public int MaxPageSize { get; set; } = 500;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!(VerifyMaxFalseAcceptRate is > 0 and <= 1))
            yield return new ValidationResult("VerifyMaxFalseAcceptRate is a rate: greater than 0 and at most 1.", [nameof(VerifyMaxFalseAcceptRate)]);
        if (!(IdentifyMaxFalsePositiveIdentificationRate is > 0 and <= 1))
            yield return new ValidationResult("IdentifyMaxFalsePositiveIdentificationRate is a rate: greater than 0 and at most 1.",
                [nameof(IdentifyMaxFalsePositiveIdentificationRate)]);
        if (DefaultK > MaxK)
            yield return new ValidationResult("DefaultK may not exceed MaxK.", [nameof(DefaultK), nameof(MaxK)]);
        if (!Enum.IsDefined(ClusterLinkage))
            yield return new ValidationResult($"ClusterLinkage must be one of {string.Join(", ", Enum.GetNames<Linkage>())}.", [nameof(ClusterLinkage)]);
    }
}
