namespace FaceService.Core.Embeddings;

/// <summary>Default decision threshold on squared L2 distance between unit embeddings (0..4).</summary>
public static class VerificationDefaults
{
    /// <summary>
    /// At or below: same person. Provisional: dlib's published 0.6 Euclidean tolerance, squared; calibrated on the dev set
    /// in docs/ACCURACY.md.
    /// </summary>
    public const float Threshold = 0.36f;
}
