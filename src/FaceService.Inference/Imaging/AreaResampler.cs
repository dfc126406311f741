using FaceService.Inference.Runtime;

namespace FaceService.Inference.Imaging;

/// <summary>
/// Resizes part of an image by area averaging (OpenCV's INTER_AREA, what facenet's MTCNN resizes its pyramid levels
/// and crops with): each target pixel is the mean of the source area it covers, the part outside the image black;
/// where a target pixel covers less than one source pixel (enlarging), bilinear between the nearest four. Reads from
/// the smallest level of a <see cref="HalvingPyramid"/> that still has a pixel per target pixel. Written for MTCNN's
/// many small crops, where a Skia surface per crop cost more than the nets' own runs.
/// </summary>
internal static class AreaResampler
{
    /// <summary>The square [left, left + side)² of the photo (photo pixels) at size x size, as R, G, B planes of 0..255 floats.</summary>
    public static void CropToPlanes(HalvingPyramid pyramid, float left, float top, float side, int size, Span<float> planes) =>
        ResizeToPlanes(pyramid, left, top, side, side, size, size, planes);

    /// <summary>The whole photo at width x height, as R, G, B planes of 0..255 floats.</summary>
    public static void ResizeToPlanes(HalvingPyramid pyramid, int width, int height, Span<float> planes) =>
        ResizeToPlanes(pyramid, 0, 0, pyramid.Photo.Width, pyramid.Photo.Height, width, height, planes);

    private static void ResizeToPlanes(HalvingPyramid pyramid, float left, float top, float sourceWidth, float sourceHeight,
        int width, int height, Span<float> planes)
    {
        var (image, shift) = pyramid.For(Math.Min(sourceWidth / width, sourceHeight / height));
        var scale = 1f / (1 << shift);
        left *= scale;
        top *= scale;
        sourceWidth *= scale;
        sourceHeight *= scale;

        var plane = width * height;
        if (planes.Length < 3 * plane) throw new ArgumentException("Destination is smaller than 3 planes.", nameof(planes));
        planes[..(3 * plane)].Clear();
        var columns = AxisWeights.For(left, sourceWidth, width, image.Width);
        var rows = AxisWeights.For(top, sourceHeight, height, image.Height);
        if (columns.IsEmpty || rows.IsEmpty) return;

        // Horizontal pass over the source rows the crop touches, then the vertical pass into the planes.
        var firstRow = rows.FirstSource;
        var rowCount = rows.LastSource - firstRow + 1;
        var horizontal = ScratchBuffers.Rent<float>(rowCount * width * 3);
        var pixels = image.Pixels;
        var stride = image.Stride;
        for (var r = 0; r < rowCount; r++)
        {
            var rowStart = (firstRow + r) * stride;
            var target = horizontal.AsSpan(r * width * 3, width * 3);
            for (var x = 0; x < width; x++)
            {
                float red = 0, green = 0, blue = 0;
                foreach (var (source, weight) in columns[x])
                {
                    var p = rowStart + source * 4;
                    red += weight * pixels[p];
                    green += weight * pixels[p + 1];
                    blue += weight * pixels[p + 2];
                }
                target[3 * x] = red;
                target[3 * x + 1] = green;
                target[3 * x + 2] = blue;
            }
        }

        for (var y = 0; y < height; y++)
        foreach (var (source, weight) in rows[y])
        {
            var row = horizontal.AsSpan((source - firstRow) * width * 3, width * 3);
            for (var x = 0; x < width; x++)
            {
                planes[y * width + x] += weight * row[3 * x];
                planes[plane + y * width + x] += weight * row[3 * x + 1];
                planes[2 * plane + y * width + x] += weight * row[3 * x + 2];
            }
        }
        ScratchBuffers.Return(horizontal);
    }

    /// <summary>For each target index along one axis, the source pixels inside the image and their weights.</summary>
    private sealed class AxisWeights
    {
        private readonly (int Source, float Weight)[][] _taps;

        private AxisWeights((int Source, float Weight)[][] taps)
        {
            _taps = taps;
            // Targets run along the axis, and each target's taps in source order: the ends are the first and last taps.
            var first = Array.Find(taps, t => t.Length > 0);
            var last = Array.FindLast(taps, t => t.Length > 0);
            IsEmpty = first is null;
            FirstSource = first?[0].Source ?? 0;
            LastSource = last?[^1].Source ?? -1;
        }

        public bool IsEmpty { get; }
        public int FirstSource { get; }
        public int LastSource { get; }
        public (int Source, float Weight)[] this[int target] => _taps[target];

        public static AxisWeights For(float start, float length, int size, int extent)
        {
            var step = length / size;
            var taps = new (int, float)[size][];
            var list = new List<(int, float)>();
            for (var t = 0; t < size; t++)
            {
                list.Clear();
                float from = start + t * step, to = from + step;
                if (step >= 1)
                {
                    for (var i = (int)MathF.Floor(from); i < to; i++)
                    {
                        var overlap = Math.Min(to, i + 1) - Math.Max(from, i);
                        if (overlap > 0 && i >= 0 && i < extent) list.Add((i, overlap / step));
                    }
                }
                else
                {
                    // Enlarging: bilinear at the target pixel's centre (pixel centres at i + 0.5).
                    var centre = (from + to) / 2 - 0.5f;
                    var i0 = (int)MathF.Floor(centre);
                    var fraction = centre - i0;
                    if (i0 >= 0 && i0 < extent && fraction < 1) list.Add((i0, 1 - fraction));
                    if (i0 + 1 >= 0 && i0 + 1 < extent && fraction > 0) list.Add((i0 + 1, fraction));
                }
                taps[t] = [.. list];
            }
            return new AxisWeights(taps);
        }
    }
}
