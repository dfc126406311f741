using SkiaSharp;

namespace FaceService.ModelBuilder.Tests.TestSupport;

/// <summary>Turns photos into the models' input: float32 NCHW, RGB 0..255.</summary>
public static class ImageTensors
{
    public static SKBitmap Load(string path) =>
        SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} could not be decoded.");

    /// <summary>The centre square of <paramref name="size"/> pixels, unscaled.</summary>
    public static float[] CenterCrop(SKBitmap bitmap, int size)
    {
        int left = (bitmap.Width - size) / 2, top = (bitmap.Height - size) / 2;
        return ToNchw(bitmap, left, top, size, size);
    }

    /// <summary>Bilinear resize of the whole image to size x size.</summary>
    public static float[] Resized(SKBitmap bitmap, int size)
    {
        using SKBitmap resized = bitmap.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul),
            new SKSamplingOptions(SKFilterMode.Linear))
            ?? throw new InvalidOperationException("Resize failed.");
        return ToNchw(resized, 0, 0, size, size);
    }

    /// <summary>Concatenates single-image tensors into one batch.</summary>
    public static float[] Batch(params float[][] images) => images.SelectMany(image => image).ToArray();

    private static float[] ToNchw(SKBitmap bitmap, int left, int top, int width, int height)
    {
        var tensor = new float[3 * width * height];
        int plane = width * height;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                SKColor pixel = bitmap.GetPixel(left + x, top + y);
                int i = y * width + x;
                tensor[i] = pixel.Red;
                tensor[plane + i] = pixel.Green;
                tensor[2 * plane + i] = pixel.Blue;
            }
        }

        return tensor;
    }
}
