namespace FaceService.Core.Faces;

/// <summary>Head angles in degrees (signs as <see cref="FaceQuality"/> documents them).</summary>
public readonly record struct HeadPose(float Yaw, float Pitch, float Roll)
{
    // A generic head in units of half the inter-ocular distance, eye centres at (±1, 0, 0): the nose tip stands this far
    // in front of the eyes' plane, the mouth corners this far below the eyes (dlib's mean face shape: 0.564 / 0.265) and
    // about in the eyes' plane, and a frontal nose tip lies this share of the way down from the eyes to the mouth.
    private const float NoseDepth = 0.8f;
    private const float MouthDrop = 2.13f;
    private const float FrontalNoseShare = 0.53f;

    /// <summary>
    /// The pose from the 5 points (eye centres, nose tip, mouth corners; image left to right) under a scaled orthographic
    /// camera. Roll is the eye line's angle; in the eye line's frame, yaw shifts the protruding nose tip sideways off the
    /// eyes-to-mouth midline (by depth · sin yaw, while the eyes close up by cos yaw), and pitch moves it up or down
    /// between eyes and mouth. Deliberately not from the jaw line, whose points slide along the cheek as the head turns.
    /// </summary>
    public static HeadPose Estimate(IReadOnlyList<Point2> fivePoints)
    {
        if (fivePoints.Count != 5) throw new ArgumentException($"Expected 5 points, got {fivePoints.Count}.", nameof(fivePoints));
        var (leftEye, rightEye, nose) = (fivePoints[0], fivePoints[1], fivePoints[2]);
        var (eyeX, eyeY) = ((leftEye.X + rightEye.X) / 2, (leftEye.Y + rightEye.Y) / 2);
        var (mouthX, mouthY) = ((fivePoints[3].X + fivePoints[4].X) / 2, (fivePoints[3].Y + fivePoints[4].Y) / 2);

        var (dx, dy) = (rightEye.X - leftEye.X, rightEye.Y - leftEye.Y);
        var halfEyes = MathF.Sqrt(dx * dx + dy * dy) / 2;
        var roll = MathF.Atan2(dy, dx);
        // The face's own axes: u along the eye line, v down the face.
        var (ux, uy) = (MathF.Cos(roll), MathF.Sin(roll));
        float Across(float x, float y) => (x - eyeX) * ux + (y - eyeY) * uy;
        float Down(float x, float y) => -(x - eyeX) * uy + (y - eyeY) * ux;

        var (noseAcross, noseDown) = (Across(nose.X, nose.Y), Down(nose.X, nose.Y));
        var (mouthAcross, mouthDown) = (Across(mouthX, mouthY), Down(mouthX, mouthY));
        if (halfEyes <= 0 || mouthDown <= 0) return new HeadPose(90, 90, Degrees(roll)); // landmarks no face could have

        var midline = mouthAcross * noseDown / mouthDown;
        var yaw = MathF.Atan((noseAcross - midline) / (NoseDepth * halfEyes));
        var pitch = MathF.Atan(MouthDrop * (FrontalNoseShare - noseDown / mouthDown) / NoseDepth);
        return new HeadPose(Degrees(yaw), Degrees(pitch), Degrees(roll));
    }

    private static float Degrees(float radians) => radians * (180 / MathF.PI);
}
