namespace FaceService.Core.Faces;

public readonly record struct Point2(float X, float Y);

/// <summary>Axis-aligned box in original-image pixels.</summary>
public readonly record struct FaceBox(float X, float Y, float Width, float Height)
{
    public float Area => Width * Height;
    public float Right => X + Width;
    public float Bottom => Y + Height;

    /// <summary>Area of the overlap over the area of the union: 0 for boxes apart (or of no area), 1 for the same box.</summary>
    public float IntersectionOverUnion(FaceBox other)
    {
        var overlap = Intersection(other);
        return overlap > 0 ? overlap / (Area + other.Area - overlap) : 0;
    }

    /// <summary>Area of the overlap over the smaller box's area (MTCNN's 'Min' overlap): 1 for a box inside another.</summary>
    public float IntersectionOverSmaller(FaceBox other)
    {
        var overlap = Intersection(other);
        return overlap > 0 ? overlap / Math.Min(Area, other.Area) : 0;
    }

    private float Intersection(FaceBox other)
    {
        var width = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        var height = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        return width > 0 && height > 0 ? width * height : 0;
    }
}

/// <summary>A detector hit: box in original-image pixels and detector confidence in [0, 1].</summary>
public readonly record struct DetectedFace(FaceBox Box, float Score);

/// <summary>68-point iBUG layout landmarks in original-image pixels.</summary>
public sealed record FaceLandmarks(IReadOnlyList<Point2> Points)
{
    public const int Count = 68;

    /// <summary>
    /// The 5 alignment points: left eye centre, right eye centre (image left/right), nose tip, left and right mouth corner.
    /// </summary>
    public Point2[] ToFivePoints()
    {
        if (Points.Count != Count) throw new InvalidOperationException($"Expected {Count} landmarks, got {Points.Count}.");
        return FivePointLayout.FromSixtyEight(Points);
    }
}

public static class FivePointLayout
{
    /// <summary>Eye centres are the means of iBUG points 36-41 and 42-47; nose tip is 30; mouth corners 48 and 54.</summary>
    public static Point2[] FromSixtyEight(IReadOnlyList<Point2> p) =>
    [
        Mean(p, 36, 42),
        Mean(p, 42, 48),
        p[30],
        p[48],
        p[54],
    ];

    private static Point2 Mean(IReadOnlyList<Point2> p, int from, int to)
    {
        float x = 0, y = 0;
        for (var i = from; i < to; i++) { x += p[i].X; y += p[i].Y; }
        var n = to - from;
        return new Point2(x / n, y / n);
    }
}
