using FaceService.Core.Faces;
using SkiaSharp;

namespace FaceService.Inference.Alignment;

/// <summary>
/// A 2-D similarity (rotation, uniform scale, translation) x' = a·x − b·y + tx, y' = b·x + a·y + ty.
/// </summary>
internal readonly record struct SimilarityTransform(double A, double B, double Tx, double Ty)
{
    /// <summary>
    /// Least-squares fit mapping <paramref name="from"/> onto <paramref name="to"/> (Umeyama's solution without
    /// reflection; in 2-D it has this closed form, the same that dlib's find_similarity_transform computes).
    /// </summary>
    public static SimilarityTransform Fit(ReadOnlySpan<Point2> from, ReadOnlySpan<Point2> to)
    {
        if (from.Length != to.Length || from.Length < 2) throw new ArgumentException("Need two or more point pairs.");
        double fx = 0, fy = 0, tx = 0, ty = 0;
        for (var i = 0; i < from.Length; i++) { fx += from[i].X; fy += from[i].Y; tx += to[i].X; ty += to[i].Y; }
        fx /= from.Length; fy /= from.Length; tx /= from.Length; ty /= from.Length;

        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < from.Length; i++)
        {
            double px = from[i].X - fx, py = from[i].Y - fy, qx = to[i].X - tx, qy = to[i].Y - ty;
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if (norm <= 0) throw new ArgumentException("The source points coincide.");
        var a = dot / norm;
        var b = cross / norm;
        return new SimilarityTransform(a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy));
    }

    public double Scale => Math.Sqrt(A * A + B * B);

    public Point2 Apply(Point2 p) => new((float)(A * p.X - B * p.Y + Tx), (float)(B * p.X + A * p.Y + Ty));

    public SimilarityTransform Inverse()
    {
        var s2 = A * A + B * B;
        var (ia, ib) = (A / s2, -B / s2);
        return new SimilarityTransform(ia, ib, -(ia * Tx - ib * Ty), -(ib * Tx + ia * Ty));
    }

    public SKMatrix ToMatrix() => new((float)A, (float)-B, (float)Tx, (float)B, (float)A, (float)Ty, 0, 0, 1);
}
