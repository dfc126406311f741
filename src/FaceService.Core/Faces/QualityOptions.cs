using System.ComponentModel.DataAnnotations;

namespace FaceService.Core.Faces;

/// <summary>
/// The ramps that map each part of a face's quality onto [0, 1] and the threshold enroll and index apply, bound from the
/// "Quality" section. Each part scores 0 at its unusable level, 1 at its good level, linearly between. The defaults
/// refuse no face of the shared photo sets (docs/ACCURACY.md, Face quality).
/// </summary>
public sealed class QualityOptions : IValidatableObject
{
    public const string SectionName = "Quality";

    /// <summary>Faces whose <see cref="FaceQuality.Score"/> is below this are refused by enroll and index unless the request says otherwise, and left out of clustering and templates.</summary>
    [Range(0.0, 1.0)] public float MinQuality { get; set; } = 0.5f;

    /// <summary><see cref="FaceQuality.FaceSize"/>, in pixels, that scores 0.</summary>
    [Range(0.0, 10_000.0)] public float FaceSizeUnusable { get; set; } = 12;

    /// <summary><see cref="FaceQuality.FaceSize"/>, in pixels, that scores 1.</summary>
    [Range(0.0, 10_000.0)] public float FaceSizeGood { get; set; } = 32;

    /// <summary><see cref="FaceQuality.Sharpness"/> that scores 0.</summary>
    [Range(0.0, 10.0)] public float SharpnessUnusable { get; set; } = 0.03f;

    /// <summary><see cref="FaceQuality.Sharpness"/> that scores 1.</summary>
    [Range(0.0, 10.0)] public float SharpnessGood { get; set; } = 0.07f;

    /// <summary>The larger of |yaw| and |pitch|, in degrees, that scores 1.</summary>
    [Range(0.0, 90.0)] public float PoseGoodDegrees { get; set; } = 50;

    /// <summary>The larger of |yaw| and |pitch|, in degrees, that scores 0.</summary>
    [Range(0.0, 90.0)] public float PoseUnusableDegrees { get; set; } = 90;

    /// <summary><see cref="FaceQuality.DetectorScore"/> that scores 0 (the detector's own floor is 0.5).</summary>
    [Range(0.0, 1.0)] public float DetectorScoreUnusable { get; set; } = 0.2f;

    /// <summary><see cref="FaceQuality.DetectorScore"/> that scores 1.</summary>
    [Range(0.0, 1.0)] public float DetectorScoreGood { get; set; } = 0.7f;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FaceSizeUnusable >= FaceSizeGood)
            yield return new ValidationResult("FaceSizeUnusable must be below FaceSizeGood.", [nameof(FaceSizeUnusable), nameof(FaceSizeGood)]);
        if (SharpnessUnusable >= SharpnessGood)
            yield return new ValidationResult("SharpnessUnusable must be below SharpnessGood.", [nameof(SharpnessUnusable), nameof(SharpnessGood)]);
        if (PoseGoodDegrees >= PoseUnusableDegrees)
            yield return new ValidationResult("PoseGoodDegrees must be below PoseUnusableDegrees.", [nameof(PoseGoodDegrees), nameof(PoseUnusableDegrees)]);
        if (DetectorScoreUnusable >= DetectorScoreGood)
            yield return new ValidationResult("DetectorScoreUnusable must be below DetectorScoreGood.", [nameof(DetectorScoreUnusable), nameof(DetectorScoreGood)]);
    }
}
