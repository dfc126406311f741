using System.ComponentModel.DataAnnotations;
using FaceService.Core.Clustering;
using FaceService.Core.Embeddings;

namespace FaceService.Core.Services;

/// <summary>Decision thresholds and per-request bounds of the face services, bound from the "Recognition" section.</summary>
public sealed class RecognitionOptions : IValidatableObject
{
    public const string SectionName = "Recognition";

    /// <summary>Squared L2 distance (0..4) at or below which verify says "same person".</summary>
    [Range(0.0001, 4.0)] public float VerifyThreshold { get; set; } = VerificationDefaults.Threshold;

    /// <summary>Squared L2 distance at or below which an identify candidate is a match.</summary>
    [Range(0.0001, 4.0)] public float IdentifyThreshold { get; set; } = VerificationDefaults.Threshold;

    /// <summary>Linkage distance at which agglomerative clustering stops merging.</summary>
    [Range(0.0001, 4.0)] public float ClusterThreshold { get; set; } = VerificationDefaults.Threshold;

    public Linkage ClusterLinkage { get; set; } = Linkage.Average;

    /// <summary>Candidates per face when identify is not given k.</summary>
    [Range(1, 1000)] public int DefaultK { get; set; } = 5;

    [Range(1, 1000)] public int MaxK { get; set; } = 100;

    /// <summary>Images of one request analysed at the same time (bounds decoded-pixel memory per request).</summary>
    [Range(1, 64)] public int ImageConcurrency { get; set; } = 2;

    [Range(1, 10_000)] public int MaxPageSize { get; set; } = 500;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultK > MaxK)
            yield return new ValidationResult("DefaultK may not exceed MaxK.", [nameof(DefaultK), nameof(MaxK)]);
        if (!Enum.IsDefined(ClusterLinkage))
            yield return new ValidationResult($"ClusterLinkage must be one of {string.Join(", ", Enum.GetNames<Linkage>())}.", [nameof(ClusterLinkage)]);
    }
}
