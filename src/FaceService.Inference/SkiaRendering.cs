using FaceService.Core.Imaging;
using SkiaSharp;

namespace FaceService.Inference;

/// <summary>
/// Draws (part of) an image through a transform onto a black square, the one resampling step every net input goes through.
/// Linear filtering between linear mipmap levels keeps strong downscales (a 2000 px face to a 150 px chip) free of aliasing.
/// </summary>
internal static class SkiaRendering
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>
    /// Renders <paramref name="source"/> mapped by <paramref name="sourceToTarget"/> into a size x size RGBA image;
    /// with <paramref name="sourceClip"/> (whole pixels, scale-and-shift transforms only) nothing outside it is drawn.
    /// </summary>
    public static RgbaImage Render(RgbaImage source, SKMatrix sourceToTarget, int size, SKRect? sourceClip = null)
    {
        var pixels = new byte[size * size * 4];
        RenderInto(source, sourceToTarget, size, sourceClip, pixels);
        return new RgbaImage(size, size, pixels);
    }

    /// <summary>Renders and writes the result as 3 planes (R, G, B) of 0..255 floats, the layout all three nets take.</summary>
    public static void RenderPlanar(RgbaImage source, SKMatrix sourceToTarget, int size, SKRect? sourceClip, Span<float> planes)
    {
        var pixels = System.Buffers.ArrayPool<byte>.Shared.Rent(size * size * 4);
        try
        {
            RenderInto(source, sourceToTarget, size, sourceClip, pixels.AsSpan(0, size * size * 4));
            TensorLayout.RgbaToPlanes(pixels.AsSpan(0, size * size * 4), planes);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    private static unsafe void RenderInto(RgbaImage source, SKMatrix sourceToTarget, int size, SKRect? sourceClip, Span<byte> target)
    {
        var targetInfo = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        var sourceInfo = new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        fixed (byte* src = source.Pixels)
        fixed (byte* dst = target)
        {
            using var sourcePixmap = new SKPixmap(sourceInfo, (IntPtr)src, source.Stride);
            using var image = SKImage.FromPixels(sourcePixmap);
            using var surface = SKSurface.Create(targetInfo, (IntPtr)dst, size * 4)
                ?? throw new InvalidOperationException("Skia could not create a raster surface.");
            var canvas = surface.Canvas;
            // Drawn over opaque black, so the premultiplied result is the plain RGBA the contract wants.
            canvas.Clear(SKColors.Black);
            if (sourceClip is { } clip)
            {
                // Only the clip's pixels may show, filtering included (face-api cuts the box out before padding it):
                // a subset image clamps its filter at its own edges. The transform is a scale and shift here.
                using var cut = image.Subset(SKRectI.Round(clip)) ?? throw new ArgumentException($"Clip {clip} is outside the image.");
                canvas.DrawImage(cut, sourceToTarget.MapRect(clip), Sampling);
            }
            else
            {
                canvas.SetMatrix(sourceToTarget);
                canvas.DrawImage(image, 0, 0, Sampling);
            }
            canvas.Flush();
        }
    }
}

internal static class TensorLayout
{
    /// <summary>Interleaved RGBA bytes to R, G, B planes of floats (alpha dropped).</summary>
    public static void RgbaToPlanes(ReadOnlySpan<byte> rgba, Span<float> planes)
    {
        var n = rgba.Length / 4;
        if (planes.Length < 3 * n) throw new ArgumentException("Destination is smaller than 3 planes.", nameof(planes));
        var r = planes[..n];
        var g = planes.Slice(n, n);
        var b = planes.Slice(2 * n, n);
        for (int i = 0, p = 0; i < n; i++, p += 4)
        {
            r[i] = rgba[p];
            g[i] = rgba[p + 1];
            b[i] = rgba[p + 2];
        }
    }
}
