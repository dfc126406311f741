using FaceService.Core.Faces;

namespace FaceService.Inference.Detection;

/// <summary>What every detector does with its candidate boxes: greedy non-maximum suppression, then the boxes clipped
/// to the image, the small ones dropped, the largest first, at most the configured number.</summary>
internal static class BoxSelection
{
    /// <summary>
    /// Greedy NMS, highest score first: drops each box that overlaps a kept one by more than <paramref name="threshold"/>,
    /// overlap being intersection over union, or over the smaller box's area (<paramref name="overSmaller"/>, MTCNN's
    /// 'Min'). Returns the kept indices, highest score first.
    /// </summary>
    public static List<int> Suppress(int count, Func<int, FaceBox> box, Func<int, float> score, float threshold, bool overSmaller = false)
    {
        var order = new int[count];
        var scores = new float[count];
        for (var i = 0; i < count; i++) (order[i], scores[i]) = (i, -score(i));
        Array.Sort(scores, order);
        var kept = new List<int>();
        var keptBoxes = new List<FaceBox>();
        foreach (var i in order)
        {
            var candidate = box(i);
            var suppressed = false;
            foreach (var k in keptBoxes)
                if ((overSmaller ? candidate.IntersectionOverSmaller(k) : candidate.IntersectionOverUnion(k)) > threshold) { suppressed = true; break; }
            if (suppressed) continue;
            kept.Add(i);
            keptBoxes.Add(candidate);
        }
        return kept;
    }

    /// <summary>
    /// Each face's box clipped to the image (<paramref name="withBox"/> puts the clipped box back), those whose shorter
    /// side is under <paramref name="minSize"/> dropped, largest area first, at most <paramref name="maxFaces"/>.
    /// </summary>
    public static List<T> ClipAndLimit<T>(IEnumerable<T> faces, Func<T, FaceBox> box, Func<T, FaceBox, T> withBox,
        int width, int height, int minSize, int maxFaces)
    {
        var result = new List<(T Face, float Area)>();
        foreach (var face in faces)
        {
            var b = box(face);
            float left = Math.Clamp(b.X, 0, width), top = Math.Clamp(b.Y, 0, height);
            var clipped = new FaceBox(left, top, Math.Clamp(b.Right, 0, width) - left, Math.Clamp(b.Bottom, 0, height) - top);
            if (Math.Min(clipped.Width, clipped.Height) >= minSize) result.Add((withBox(face, clipped), clipped.Area));
        }
        result.Sort((x, y) => y.Area.CompareTo(x.Area));
        return [.. result.Take(maxFaces).Select(r => r.Face)];
    }
}
