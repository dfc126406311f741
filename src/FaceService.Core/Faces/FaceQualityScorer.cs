namespace FaceService.Core.Faces;

/// <summary>Builds a face's <see cref="FaceQuality"/> from what the pipeline measured, by the ramps of <see cref="QualityOptions"/>.</summary>
public sealed class FaceQualityScorer(QualityOptions options)
{
    public QualityOptions Options { get; } = options;

    /// <param name="detectorScore">The detector's confidence.</param>
    /// <param name="fivePoints">Eye centres, nose tip, mouth corners in original-image pixels (<see cref="FoundFace.Landmarks"/>).</param>
    /// <param name="sharpness">The aligned chip's <see cref="ChipSharpness"/>.</param>
    public FaceQuality Score(float detectorScore, IReadOnlyList<Point2> fivePoints, float sharpness)
    {
        var pose = HeadPose.Estimate(fivePoints);
        var size = FaceSize(fivePoints);
        var parts = new QualityPartScores(
            Ramp(size, Options.FaceSizeUnusable, Options.FaceSizeGood),
            Ramp(sharpness, Options.SharpnessUnusable, Options.SharpnessGood),
            // Roll is left out: alignment turns the face upright at no loss.
            Ramp(-MathF.Max(MathF.Abs(pose.Yaw), MathF.Abs(pose.Pitch)), -Options.PoseUnusableDegrees, -Options.PoseGoodDegrees),
            Ramp(detectorScore, Options.DetectorScoreUnusable, Options.DetectorScoreGood));
        return new FaceQuality(parts.Minimum, size, sharpness, pose.Yaw, pose.Pitch, pose.Roll, detectorScore) { Parts = parts };
    }

    /// <summary>Twice the larger of the inter-ocular and the eyes-to-mouth distance (<see cref="FaceQuality.FaceSize"/>).</summary>
    public static float FaceSize(IReadOnlyList<Point2> fivePoints)
    {
        var (leftEye, rightEye) = (fivePoints[0], fivePoints[1]);
        var eyes = Distance(leftEye, rightEye);
        var eyesToMouth = Distance(Midpoint(leftEye, rightEye), Midpoint(fivePoints[3], fivePoints[4]));
        return 2 * MathF.Max(eyes, eyesToMouth);
    }

    /// <summary>0 at <paramref name="unusable"/>, 1 at <paramref name="good"/> (above it), linear between.</summary>
    internal static float Ramp(float value, float unusable, float good) => Math.Clamp((value - unusable) / (good - unusable), 0, 1);

    private static float Distance(Point2 a, Point2 b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static Point2 Midpoint(Point2 a, Point2 b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);
}
