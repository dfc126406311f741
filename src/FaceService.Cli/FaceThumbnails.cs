using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using SkiaSharp;

namespace FaceService.Cli;

/// <summary>Small JPEG crops of detected faces for the contact sheet.</summary>
public static class FaceThumbnails
{
    public const int Size = 128;
    private const float Margin = 1.4f;
    private const int JpegQuality = 80;
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>
    /// A Size x Size JPEG of the square around <paramref name="box"/> with some margin (hair, chin), black where the
    /// square leaves the photo. The box is in the coordinates of the decoded, upright image, as the pipeline reports it.
    /// </summary>
    public static byte[] Crop(RgbaImage image, FaceBox box)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var source = SKImage.FromPixelCopy(info, image.Pixels);
        var side = Math.Max(box.Width, box.Height) * Margin;
        var left = box.X + box.Width / 2 - side / 2;
        var top = box.Y + box.Height / 2 - side / 2;

        using var surface = SKSurface.Create(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Black);
        canvas.DrawImage(source, SKRect.Create(left, top, side, side), SKRect.Create(0, 0, Size, Size), Sampling);
        using var snapshot = surface.Snapshot();
        using var jpeg = snapshot.Encode(SKEncodedImageFormat.Jpeg, JpegQuality);
        return jpeg.ToArray();
    }
}
