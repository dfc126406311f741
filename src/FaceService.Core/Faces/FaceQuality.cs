namespace FaceService.Core.Faces;

/// <summary>Why a face falls short of a quality threshold: the parts of <see cref="FaceQuality"/>, one each.</summary>
public enum QualityIssue
{
    /// <summary>Too few pixels across the face (<see cref="FaceQuality.FaceSize"/>).</summary>
    SmallFace,
    /// <summary>Too little fine detail on the aligned chip (<see cref="FaceQuality.Sharpness"/>).</summary>
    Blurred,
    /// <summary>Turned too far from the camera (<see cref="FaceQuality.Yaw"/>, <see cref="FaceQuality.Pitch"/>).</summary>
    ExtremePose,
    /// <summary>The detector was unsure it is a face (<see cref="FaceQuality.DetectorScore"/>).</summary>
    LowConfidence,
}

public static class QualityIssueCodes
{
    /// <summary>The issue's code in the API (as AWS's UnindexedFaces reasons): small_face, blurred, extreme_pose, low_confidence.</summary>
    public static string Code(this QualityIssue issue) => issue switch
    {
        QualityIssue.SmallFace => "small_face",
        QualityIssue.Blurred => "blurred",
        QualityIssue.ExtremePose => "extreme_pose",
        QualityIssue.LowConfidence => "low_confidence",
        _ => throw new ArgumentOutOfRangeException(nameof(issue), issue, null),
    };
}

/// <summary>Each part of a face's quality mapped onto [0, 1] by its ramp in <see cref="QualityOptions"/> (1: good).</summary>
public readonly record struct QualityPartScores(float FaceSize, float Sharpness, float Pose, float DetectorScore)
{
    public float Minimum => MathF.Min(MathF.Min(FaceSize, Sharpness), MathF.Min(Pose, DetectorScore));
}

/// <summary>
/// How usable a face is for recognition, and why. Built by <see cref="FaceQualityScorer"/>.
/// </summary>
/// <param name="Score">Overall quality in [0, 1]: the lowest of the <see cref="Parts"/>, so one bad part is enough to make a bad face.</param>
/// <param name="FaceSize">
/// Face size in original-image pixels: twice the larger of the inter-ocular and the eyes-to-mouth distance (eye centres'
/// midpoint to mouth corners' midpoint). The two are about equal on a frontal face and each shrinks with one kind of
/// turn only (yaw, pitch), so their larger one stays put when the head turns; twice it is a little under the detector box's width.
/// </param>
/// <param name="Sharpness">Fine detail on the aligned chip, dimensionless (<see cref="ChipSharpness"/>).</param>
/// <param name="Yaw">Degrees, from the 5 landmarks; positive: the face turns towards the image's right (<see cref="HeadPose"/>).</param>
/// <param name="Pitch">Degrees; positive: the chin is raised.</param>
/// <param name="Roll">Degrees; positive: the eye line turns clockwise in the image.</param>
/// <param name="DetectorScore">The detector's confidence, in [0, 1].</param>
public sealed record FaceQuality(float Score, float FaceSize, float Sharpness, float Yaw, float Pitch, float Roll, float DetectorScore)
{
    public required QualityPartScores Parts { get; init; }

    /// <summary>
    /// The parts whose own score is below <paramref name="minQuality"/>, in <see cref="QualityIssue"/> order: empty exactly
    /// when <see cref="Score"/> reaches it, so a refused face always has a reason.
    /// </summary>
    public IReadOnlyList<QualityIssue> IssuesBelow(float minQuality)
    {
        var issues = new List<QualityIssue>(4);
        if (Parts.FaceSize < minQuality) issues.Add(QualityIssue.SmallFace);
        if (Parts.Sharpness < minQuality) issues.Add(QualityIssue.Blurred);
        if (Parts.Pose < minQuality) issues.Add(QualityIssue.ExtremePose);
        if (Parts.DetectorScore < minQuality) issues.Add(QualityIssue.LowConfidence);
        return issues;
    }
}
