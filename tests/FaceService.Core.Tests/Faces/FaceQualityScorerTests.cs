using System.ComponentModel.DataAnnotations;
using FaceService.Core.Faces;

namespace FaceService.Core.Tests.Faces;

public sealed class FaceQualityScorerTests
{
    private static readonly QualityOptions Defaults = new();
    private readonly FaceQualityScorer _scorer = new(Defaults);

    /// <summary>A frontal face in the geometry of dlib's mean face: eyes 2 · <paramref name="halfEyes"/> apart, nose and mouth below their midpoint.</summary>
    private static Point2[] Frontal(float halfEyes, float noseShift = 0, float cx = 200, float cy = 150)
    {
        var mouthDrop = 2.13f * halfEyes;
        return
        [
            new(cx - halfEyes, cy), new(cx + halfEyes, cy),
            new(cx + noseShift, cy + 0.53f * mouthDrop),
            new(cx - 0.8f * halfEyes, cy + mouthDrop), new(cx + 0.8f * halfEyes, cy + mouthDrop),
        ];
    }

    private static Point2[] Rotated(Point2[] points, float degrees)
    {
        var (sin, cos) = MathF.SinCos(degrees * MathF.PI / 180);
        return [.. points.Select(p => new Point2(p.X * cos - p.Y * sin, p.X * sin + p.Y * cos))];
    }

    private static Point2[] Mirrored(Point2[] points) =>
        [new(-points[1].X, points[1].Y), new(-points[0].X, points[0].Y), new(-points[2].X, points[2].Y), new(-points[4].X, points[4].Y), new(-points[3].X, points[3].Y)];

    [Fact]
    public void A_frontal_face_reads_no_turn_and_an_upright_one_no_roll()
    {
        var pose = HeadPose.Estimate(Frontal(20));

        Assert.Equal(0, pose.Yaw, 0.5f);
        Assert.Equal(0, pose.Pitch, 0.5f);
        Assert.Equal(0, pose.Roll, 0.5f);
    }

    [Fact]
    public void Roll_is_the_eye_line_angle_and_leaves_yaw_and_pitch_alone()
    {
        var pose = HeadPose.Estimate(Rotated(Frontal(20, noseShift: 6), 25));
        var upright = HeadPose.Estimate(Frontal(20, noseShift: 6));

        Assert.Equal(25, pose.Roll, 0.1f);
        Assert.Equal(upright.Yaw, pose.Yaw, 0.1f);
        Assert.Equal(upright.Pitch, pose.Pitch, 0.1f);
    }

    [Fact]
    public void A_nose_off_the_midline_is_yaw_towards_its_side_and_the_mirror_image_turns_the_other_way()
    {
        var right = HeadPose.Estimate(Frontal(20, noseShift: 8));
        var left = HeadPose.Estimate(Mirrored(Frontal(20, noseShift: 8)));

        Assert.InRange(right.Yaw, 15, 40);
        Assert.Equal(-right.Yaw, left.Yaw, 0.01f);
    }

    [Fact]
    public void A_nose_nearer_the_eyes_is_a_raised_chin()
    {
        var points = Frontal(20);
        points[2] = points[2] with { Y = points[2].Y - 8 };

        Assert.True(HeadPose.Estimate(points).Pitch > 15);
    }

    [Fact]
    public void Face_size_is_twice_the_larger_of_eye_distance_and_eyes_to_mouth_so_a_turn_does_not_shrink_it()
    {
        var frontal = Frontal(20);
        // Turned sideways: the eyes close up, eyes-to-mouth stays.
        Point2[] turned = [new(185, 150), new(215, 150), frontal[2], frontal[3] with { X = 190 }, frontal[4] with { X = 210 }];

        Assert.Equal(2 * 2.13f * 20, FaceQualityScorer.FaceSize(frontal), 0.01f);
        Assert.Equal(FaceQualityScorer.FaceSize(frontal), FaceQualityScorer.FaceSize(turned), 0.01f);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(20, 0)]
    [InlineData(30, 0.5)]
    [InlineData(40, 1)]
    [InlineData(90, 1)]
    public void A_ramp_is_0_at_unusable_1_at_good_and_linear_between(float value, float expected)
    {
        Assert.Equal(expected, FaceQualityScorer.Ramp(value, 20, 40), 1e-6f);
        // Falling ramps (angles) are the same with the signs turned.
        Assert.Equal(expected, FaceQualityScorer.Ramp(-value, -20, -40), 1e-6f);
    }

    [Fact]
    public void A_good_face_scores_1_with_no_issue()
    {
        var quality = _scorer.Score(0.99f, Frontal(40), sharpness: 0.2f);

        Assert.Equal(1, quality.Score);
        Assert.Empty(quality.IssuesBelow(1));
        Assert.Equal(0.99f, quality.DetectorScore);
        Assert.Equal(0.2f, quality.Sharpness);
    }

    [Fact]
    public void The_score_is_the_weakest_part_and_every_part_below_the_threshold_is_an_issue()
    {
        var sizeAtQuarter = Defaults.FaceSizeUnusable + 0.25f * (Defaults.FaceSizeGood - Defaults.FaceSizeUnusable);
        var sharpnessAtHalf = Defaults.SharpnessUnusable + 0.5f * (Defaults.SharpnessGood - Defaults.SharpnessUnusable);
        var quality = _scorer.Score(0.99f, Frontal(sizeAtQuarter / (2 * 2.13f)), sharpnessAtHalf);

        Assert.Equal(0.25f, quality.Parts.FaceSize, 1e-3f);
        Assert.Equal(0.5f, quality.Parts.Sharpness, 1e-3f);
        Assert.Equal(quality.Parts.FaceSize, quality.Score);
        Assert.Equal([QualityIssue.SmallFace, QualityIssue.Blurred], quality.IssuesBelow(0.6f));
        Assert.Equal([QualityIssue.SmallFace], quality.IssuesBelow(0.4f));
        Assert.Empty(quality.IssuesBelow(0.2f));
    }

    [Fact]
    public void A_turned_face_and_an_unsure_detection_are_named()
    {
        var turned = Frontal(40, noseShift: 2000);
        var quality = _scorer.Score(Defaults.DetectorScoreUnusable, turned, sharpness: 0.2f);

        Assert.Equal(0, quality.Score);
        Assert.Equal([QualityIssue.ExtremePose, QualityIssue.LowConfidence], quality.IssuesBelow(Defaults.MinQuality));
        Assert.Equal(["extreme_pose", "low_confidence"], quality.IssuesBelow(Defaults.MinQuality).Select(i => i.Code()));
    }

    [Fact]
    public void Every_issue_has_its_api_code()
    {
        Assert.Equal(["small_face", "blurred", "extreme_pose", "low_confidence"], Enum.GetValues<QualityIssue>().Select(i => i.Code()));
    }

    private static List<ValidationResult> Errors(QualityOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void The_default_options_are_valid()
    {
        Assert.Empty(Errors(new QualityOptions()));
    }

    [Fact]
    public void Options_with_a_ramp_the_wrong_way_round_or_a_threshold_outside_0_to_1_are_refused()
    {
        Assert.Contains(nameof(QualityOptions.MinQuality), Errors(new QualityOptions { MinQuality = 1.5f }).Single().MemberNames);
        Assert.Contains(nameof(QualityOptions.FaceSizeGood), Errors(new QualityOptions { FaceSizeUnusable = 60, FaceSizeGood = 50 }).Single().MemberNames);
        Assert.Contains(nameof(QualityOptions.SharpnessGood), Errors(new QualityOptions { SharpnessGood = Defaults.SharpnessUnusable }).Single().MemberNames);
        Assert.Contains(nameof(QualityOptions.PoseUnusableDegrees), Errors(new QualityOptions { PoseGoodDegrees = 70, PoseUnusableDegrees = 60 }).Single().MemberNames);
        Assert.Contains(nameof(QualityOptions.DetectorScoreGood), Errors(new QualityOptions { DetectorScoreUnusable = 0.9f }).Single().MemberNames);
    }
}
