using FaceService.Core.Faces;

namespace FaceService.Evaluation;

/// <summary>
/// Whether a detection's five landmarks (eye centres, nose tip, mouth corners, image left/right) are laid out as a face
/// in its box: the test behind "false detections" in the accuracy bench. Loose on purpose — a turned or tilted head
/// passes — so that what fails is a box on something that is not a face (a pattern, a knot in wood), where the
/// landmark net still places its points but cannot make them agree.
/// </summary>
public static class FaceShape
{
    public static bool IsPlausible(FaceBox box, IReadOnlyList<Point2> five)
    {
        if (five.Count != 5) throw new ArgumentException("Expected the five alignment points.", nameof(five));
        var (leftEye, rightEye, nose, mouthLeft, mouthRight) = (five[0], five[1], five[2], five[3], five[4]);
        var eyes = Midpoint(leftEye, rightEye);
        var mouth = Midpoint(mouthLeft, mouthRight);
        var eyeSpan = Distance(leftEye, rightEye);
        var down = Distance(eyes, mouth);
        var size = MathF.Sqrt(box.Area);
        if (eyeSpan < 0.15f * size || eyeSpan > 0.8f * size) return false;
        if (down < 0.5f * eyeSpan || down > 2f * eyeSpan) return false;
        // The eye line and the eyes-to-mouth line are near right angles (cosine under 0.5: within 30 degrees of it).
        var cosine = Math.Abs(Dot(Sub(rightEye, leftEye), Sub(mouth, eyes))) / (eyeSpan * down);
        if (cosine > 0.5f) return false;
        // The nose tip lies between the eye line and the mouth, measured along the face's vertical axis.
        var noseDepth = Dot(Sub(nose, eyes), Sub(mouth, eyes)) / (down * down);
        if (noseDepth < 0.1f || noseDepth > 1.1f) return false;
        var mouthSpan = Distance(mouthLeft, mouthRight);
        return mouthSpan >= 0.3f * eyeSpan && mouthSpan <= 1.8f * eyeSpan;
    }

    private static Point2 Midpoint(Point2 a, Point2 b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);

    private static Point2 Sub(Point2 a, Point2 b) => new(a.X - b.X, a.Y - b.Y);

    private static float Dot(Point2 a, Point2 b) => a.X * b.X + a.Y * b.Y;

    private static float Distance(Point2 a, Point2 b) => MathF.Sqrt(Dot(Sub(a, b), Sub(a, b)));
}
