using SkiaSharp;

namespace FaceService.Evaluation;

/// <summary>A copy of a photo made worse (or mirrored) in memory with Skia, encoded as PNG so that no JPEG loss adds to it.</summary>
public static class DegradedPhoto
{
    /// <summary>Gaussian blur of standard deviation <paramref name="sigma"/> pixels (edges clamped, no dark border).</summary>
    public static byte[] Blurred(byte[] encoded, float sigma)
    {
        using var source = Decode(encoded);
        using var paint = new SKPaint { ImageFilter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp) };
        return Draw(source.Width, source.Height, canvas => canvas.DrawBitmap(source, 0, 0, paint));
    }

    /// <summary>Scaled by <paramref name="scale"/> (below 1: fewer pixels), filtered through mipmaps as a photo library's thumbnailer would.</summary>
    public static byte[] Downscaled(byte[] encoded, float scale)
    {
        using var source = Decode(encoded);
        var (width, height) = (Math.Max(1, (int)MathF.Round(source.Width * scale)), Math.Max(1, (int)MathF.Round(source.Height * scale)));
        using var image = SKImage.FromBitmap(source);
        return Draw(width, height, canvas => canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)));
    }

    /// <summary>Flipped left to right.</summary>
    public static byte[] Mirrored(byte[] encoded)
    {
        using var source = Decode(encoded);
        return Draw(source.Width, source.Height, canvas =>
        {
            canvas.Scale(-1, 1, source.Width / 2f, 0);
            canvas.DrawBitmap(source, 0, 0);
        });
    }

    private static SKBitmap Decode(byte[] encoded) => SKBitmap.Decode(encoded) ?? throw new ArgumentException("Skia could not decode the photo.", nameof(encoded));

    private static byte[] Draw(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("Skia could not create a surface.");
        draw(surface.Canvas);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
