using System.Runtime.InteropServices;
using FaceService.Core.Imaging;
using SkiaSharp;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Imaging;

/// <summary>
/// Draws (part of) an image through a transform onto a black square, the one resampling step every net input goes through.
/// Linear filtering between linear mipmap levels keeps strong downscales (a 2000 px face to a 150 px chip) free of aliasing.
/// </summary>
internal static class SkiaRendering
{
    /// <summary>
    /// Renders <paramref name="source"/> mapped by <paramref name="sourceToTarget"/> into a size x size RGBA image;
    /// with <paramref name="sourceClip"/> (whole pixels, scale-and-shift transforms only) nothing outside it is drawn.
    /// </summary>
    public static RgbaImage Render(RgbaImage source, SKMatrix sourceToTarget, int size, SKRect? sourceClip = null)
    {
        using var skia = new SkiaSource(source);
        return Render(skia, sourceToTarget, size, sourceClip);
    }

    /// <summary><see cref="Render(RgbaImage, SKMatrix, int, SKRect?)"/> from an image already handed to Skia.</summary>
    public static RgbaImage Render(SkiaSource source, SKMatrix sourceToTarget, int size, SKRect? sourceClip = null)
    {
        var pixels = new byte[size * size * 4];
        source.RenderInto(sourceToTarget, size, size, sourceClip, pixels);
        return new RgbaImage(size, size, pixels);
    }

    /// <summary>Renders and writes the result as 3 planes (R, G, B) of 0..255 floats, the layout all the nets take.</summary>
    public static void RenderPlanar(RgbaImage source, SKMatrix sourceToTarget, int size, SKRect? sourceClip, Span<float> planes)
    {
        using var skia = new SkiaSource(source);
        skia.RenderPlanar(sourceToTarget, size, size, sourceClip, planes);
    }
}

/// <summary>
/// An image handed to Skia once for many renders (an image pyramid, a crop per candidate box). Skia caches an image's
/// mipmaps by the image's identity, so a fresh Skia image per render would rebuild them from all of the photo's pixels
/// every time. The pixels stay pinned until disposal.
/// </summary>
internal sealed unsafe class SkiaSource : IDisposable
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    private GCHandle _pin;
    private readonly SKPixmap _pixmap;
    private readonly SKImage _image;

    public SkiaSource(RgbaImage source)
    {
        Width = source.Width;
        Height = source.Height;
        _pin = GCHandle.Alloc(source.Pixels, GCHandleType.Pinned);
        var info = new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        _pixmap = new SKPixmap(info, _pin.AddrOfPinnedObject(), source.Stride);
        _image = SKImage.FromPixels(_pixmap) ?? throw new InvalidOperationException("Skia could not wrap the image.");
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// Has Skia build this image's mipmaps now (a draw at a strong downscale builds the whole chain, and Skia keeps it
    /// for this image), so that a later downscaled draw of it does not pay for them: the pipeline builds them while the
    /// detector runs, for the chips it cuts afterwards.
    /// </summary>
    public void BuildMipmaps()
    {
        if (Width < 2 && Height < 2) return;
        Span<byte> pixel = stackalloc byte[4];
        RenderInto(SKMatrix.CreateScale(1f / Width, 1f / Height), 1, 1, null, pixel);
    }

    /// <summary>Renders into width x height R, G, B planes of 0..255 floats.</summary>
    public void RenderPlanar(SKMatrix sourceToTarget, int width, int height, SKRect? sourceClip, Span<float> planes)
    {
        var bytes = width * height * 4;
        var pixels = ScratchBuffers.Rent<byte>(bytes);
        try
        {
            RenderInto(sourceToTarget, width, height, sourceClip, pixels.AsSpan(0, bytes));
            TensorLayout.RgbaToPlanes(pixels.AsSpan(0, bytes), planes);
        }
        finally
        {
            ScratchBuffers.Return(pixels);
        }
    }

    /// <summary>
    /// Renders into width x height RGBA over black; with <paramref name="sourceClip"/> (whole pixels, scale-and-shift
    /// transforms only) nothing outside it is drawn.
    /// </summary>
    public void RenderInto(SKMatrix sourceToTarget, int width, int height, SKRect? sourceClip, Span<byte> target)
    {
        var targetInfo = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (byte* dst = target)
        {
            using var surface = SKSurface.Create(targetInfo, (IntPtr)dst, width * 4)
                ?? throw new InvalidOperationException("Skia could not create a raster surface.");
            var canvas = surface.Canvas;
            // Drawn over opaque black, so the premultiplied result is the plain RGBA the contract wants.
            canvas.Clear(SKColors.Black);
            if (sourceClip is { } clip)
            {
                // Only the clip's pixels may show, filtering included (face-api cuts the box out before padding it):
                // a subset image clamps its filter at its own edges. The transform is a scale and shift here.
                using var cut = _image.Subset(SKRectI.Round(clip)) ?? throw new ArgumentException($"Clip {clip} is outside the image.");
                canvas.DrawImage(cut, sourceToTarget.MapRect(clip), Sampling);
            }
            else
            {
                canvas.SetMatrix(sourceToTarget);
                canvas.DrawImage(_image, 0, 0, Sampling);
            }
            canvas.Flush();
        }
    }

    public void Dispose()
    {
        _image.Dispose();
        _pixmap.Dispose();
        _pin.Free();
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
