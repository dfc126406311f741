namespace FaceService.Core.Embeddings;

/// <summary>A fixed decision threshold on squared L2 distance between unit embeddings (0..4): clustering's default.</summary>
public static class VerificationDefaults
{
    /// <summary>
    /// At or below: same person. Calibrated on the dev set for the default chip layout (dlib 68-point face chips):
    /// the middle of the widest threshold interval of highest balanced accuracy over all pairs; leave-one-person-out
    /// calibration lands between 0.155 and 0.159. Method and numbers in docs/ACCURACY.md. (dlib's usual 0.6 Euclidean
    /// tolerance is on raw descriptors; on unit vectors the same cut lies near 0.16.) Verify and identify no longer use
    /// it: their thresholds follow false-accept rates from the model's calibration (models/calibration); a clustering
    /// has no gallery whose size would set a rate, so it keeps this distance.
    /// </summary>
    public const float Threshold = 0.158f;
}
