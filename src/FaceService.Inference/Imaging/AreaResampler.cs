using System.Numerics.Tensors;
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
        ResizeToPlanes(pyramid, left, top, side, side, size, size, planes, size);

    /// <summary>
    /// The whole photo at width x height, as R, G, B planes of 0..255 floats; each row <paramref name="rowStride"/> floats
    /// apart (default: width), the columns past width zero.
    /// </summary>
    public static void ResizeToPlanes(HalvingPyramid pyramid, int width, int height, Span<float> planes, int rowStride = 0) =>
        ResizeToPlanes(pyramid, 0, 0, pyramid.Photo.Width, pyramid.Photo.Height, width, height, planes, Math.Max(rowStride, width));

    private static void ResizeToPlanes(HalvingPyramid pyramid, float left, float top, float sourceWidth, float sourceHeight,
        int width, int height, Span<float> planes, int rowStride)
    {
        var (image, shift) = pyramid.For(Math.Min(sourceWidth / width, sourceHeight / height));
        var scale = 1f / (1 << shift);
        left *= scale;
        top *= scale;
        sourceWidth *= scale;
        sourceHeight *= scale;

        var plane = rowStride * height;
        if (planes.Length < 3 * plane) throw new ArgumentException("Destination is smaller than 3 planes.", nameof(planes));
        var columns = AxisWeights.For(left, sourceWidth, width, image.Width);
        var rows = AxisWeights.For(top, sourceHeight, height, image.Height);
        if (columns.IsEmpty || rows.IsEmpty)
        {
            planes[..(3 * plane)].Clear();
            return;
        }

        // Per target row: its source rows blended (RGBA, only the columns the crop touches, whole rows at a time in
        // vector steps), then each target pixel's columns of the blend into the planes. Vertical first: a level reads
        // every source row once, and the per-pixel work runs once per target row, not once per source row.
        var firstColumn = columns.FirstSource;
        var span = (columns.LastSource - firstColumn + 1) * 4;
        var blend = ScratchBuffers.Rent<float>(2 * span);
        var widened = blend.AsSpan(span, span);
        var pixels = image.Pixels;
        var stride = image.Stride;
        for (var y = 0; y < height; y++)
        {
            // Every value of the row is written below; a row outside the photo, and the columns past width, are black.
            for (var c = 0; c < 3; c++) planes.Slice(c * plane + y * rowStride + width, rowStride - width).Clear();
            var taps = rows[y];
            if (taps.Length == 0)
            {
                for (var c = 0; c < 3; c++) planes.Slice(c * plane + y * rowStride, width).Clear();
                continue;
            }
            var blended = blend.AsSpan(0, span);
            for (var t = 0; t < taps.Length; t++)
            {
                TensorPrimitives.ConvertTruncating<byte, float>(pixels.AsSpan(taps[t].Source * stride + firstColumn * 4, span), widened);
                if (t == 0) TensorPrimitives.Multiply(widened, taps[t].Weight, blended);
                else TensorPrimitives.MultiplyAdd(widened, taps[t].Weight, blended, blended);
            }

            var red = planes.Slice(y * rowStride, width);
            var green = planes.Slice(plane + y * rowStride, width);
            var blue = planes.Slice(2 * plane + y * rowStride, width);
            for (var x = 0; x < width; x++)
            {
                float r = 0, g = 0, b = 0;
                foreach (var (source, weight) in columns[x])
                {
                    var p = (source - firstColumn) * 4;
                    r += weight * blended[p];
                    g += weight * blended[p + 1];
                    b += weight * blended[p + 2];
                }
                red[x] = r;
                green[x] = g;
                blue[x] = b;
            }
        }
        ScratchBuffers.Return(blend);
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
