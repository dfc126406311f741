using FaceService.Core.Faces;

namespace FaceService.Api.Contracts;

/// <summary>An axis-aligned face box in original-image pixels (after EXIF orientation).</summary>
public sealed class Box
{
    /// <summary>Left edge.</summary>
    /// <example>71.4</example>
    public required float X { get; init; }

    /// <summary>Top edge.</summary>
    /// <example>62.9</example>
    public required float Y { get; init; }

    /// <example>108.2</example>
    public required float Width { get; init; }

    /// <example>131.5</example>
    public required float Height { get; init; }

    public static Box From(FaceBox box) => new() { X = box.X, Y = box.Y, Width = box.Width, Height = box.Height };
}

/// <summary>A point in original-image pixels.</summary>
public sealed class Point
{
    /// <example>102.3</example>
    public required float X { get; init; }

    /// <example>111.8</example>
    public required float Y { get; init; }

    public static Point From(Point2 p) => new() { X = p.X, Y = p.Y };
}
