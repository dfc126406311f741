using System.Numerics.Tensors;
using FaceService.Core.Imaging;
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
    public static void CropToPlanes(HalvingPyramid pyramid, float left, float top, float side, int size, Span<float> planes)
    {
        if (Plan(pyramid, left, top, side, side, size, size, planes, size) is { } plan)
            ResizeRows(plan, 0, size, size, planes, size * size, size);
    }

    /// <summary>
    /// The whole photo at width x height, as R, G, B planes of 0..255 floats; each row <paramref name="rowStride"/> floats
    /// apart (default: width), the columns past width zero. Rows are independent, so a large target (a pyramid level of a
    /// large photo) is split into bands over the cores: the same values, in less time where the cores are free.
    /// </summary>
    /// <param name="maxBands">At most this many bands (default: one per core, at most <see cref="MaxBands"/>).</param>
    public static void ResizeToPlanes(HalvingPyramid pyramid, int width, int height, Memory<float> planes, int rowStride = 0, int maxBands = MaxBands)
    {
        rowStride = Math.Max(rowStride, width);
        var plane = rowStride * height;
        if (Plan(pyramid, 0, 0, pyramid.Photo.Width, pyramid.Photo.Height, width, height, planes.Span, rowStride) is not { } plan) return;
        var bands = (long)width * height >= ParallelPixels ? Math.Clamp(Math.Min(Environment.ProcessorCount, maxBands), 1, height) : 1;
        if (bands == 1)
        {
            ResizeRows(plan, 0, height, width, planes.Span, plane, rowStride);
            return;
        }
        Parallel.For(0, bands, band => ResizeRows(plan, height * band / bands, height * (band + 1) / bands, width, planes.Span, plane, rowStride));
    }

    /// <summary>
    /// The level to read and each axis's taps for the source rectangle (photo pixels) at width x height; null, with the
    /// planes cleared, where the rectangle lies outside the photo.
    /// </summary>
    private static (RgbaImage Level, AxisWeights Columns, AxisWeights Rows)? Plan(HalvingPyramid pyramid, float left, float top,
        float sourceWidth, float sourceHeight, int width, int height, Span<float> planes, int rowStride)
    {
        var (image, shift) = pyramid.For(Math.Min(sourceWidth / width, sourceHeight / height));
        var scale = 1f / (1 << shift);
        var plane = rowStride * height;
        if (planes.Length < 3 * plane) throw new ArgumentException("Destination is smaller than 3 planes.", nameof(planes));
        var columns = AxisWeights.For(left * scale, sourceWidth * scale, width, image.Width);
        var rows = AxisWeights.For(top * scale, sourceHeight * scale, height, image.Height);
        if (!columns.IsEmpty && !rows.IsEmpty) return (image, columns, rows);
        planes[..(3 * plane)].Clear();
        return null;
    }

    /// <summary>Targets of at least this many pixels are resized in bands over the cores.</summary>
    private const int ParallelPixels = 64 * 1024;

    public const int MaxBands = 4;

    /// <summary>
    /// Target rows [fromRow, toRow): per row its source rows blended (RGBA, only the columns the crop touches, whole rows at
    /// a time in vector steps), then each target pixel's columns of the blend into the planes. Vertical first: a level
    /// reads every source row once, and the per-pixel work runs once per target row, not once per source row.
    /// </summary>
    private static void ResizeRows((RgbaImage Level, AxisWeights Columns, AxisWeights Rows) plan, int fromRow, int toRow, int width,
        Span<float> planes, int plane, int rowStride)
    {
        var (image, columns, rows) = plan;
        var firstColumn = columns.FirstSource;
        var span = (columns.LastSource - firstColumn + 1) * 4;
        var blend = ScratchBuffers.Rent<float>(2 * span);
        var widened = blend.AsSpan(span, span);
        var pixels = image.Pixels;
        var stride = image.Stride;
        for (var y = fromRow; y < toRow; y++)
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
