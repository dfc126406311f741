using FaceService.Core.Imaging;
using FaceService.Inference.Imaging;

namespace FaceService.Inference.Tests;

/// <summary>MTCNN's crops: area averaging when shrinking, bilinear when enlarging, black outside the photo.</summary>
public sealed class AreaResamplerTests
{
    /// <summary>A width x height image whose red is x, green y and blue 7 at pixel (x, y).</summary>
    private static RgbaImage Ramp(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var p = (y * width + x) * 4;
            (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = ((byte)x, (byte)y, 7, 255);
        }
        return new RgbaImage(width, height, pixels);
    }

    [Fact]
    public void Shrinking_by_a_whole_factor_averages_each_block()
    {
        var planes = new float[3 * 4 * 4];
        AreaResampler.CropToPlanes(Ramp(64, 64), 8, 16, 16, 4, planes);
        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 4; x++)
        {
            // The block [8 + 4x, 12 + 4x) has mean x-coordinate 8 + 4x + 1.5.
            Assert.Equal(8 + 4 * x + 1.5f, planes[y * 4 + x], 3);
            Assert.Equal(16 + 4 * y + 1.5f, planes[16 + y * 4 + x], 3);
            Assert.Equal(7f, planes[32 + y * 4 + x], 3);
        }
    }

    [Fact]
    public void A_fractional_footprint_weights_the_pixels_it_covers_in_part()
    {
        var planes = new float[3];
        // One target pixel over [1.5, 3.5): half of pixel 1, all of 2, half of 3 → mean x 2.
        AreaResampler.CropToPlanes(Ramp(8, 8), 1.5f, 1.5f, 2, 1, planes);
        Assert.Equal(2f, planes[0], 4);
        Assert.Equal(2f, planes[1], 4);
    }

    [Fact]
    public void Outside_the_photo_is_black_and_counts_in_the_mean()
    {
        var planes = new float[3 * 2 * 2];
        // The square [-4, 4)² at 2x2: the top-left target pixel is all outside, the bottom-right all inside.
        AreaResampler.CropToPlanes(Ramp(16, 16), -4, -4, 8, 2, planes);
        Assert.Equal(0f, planes[2 * 4 + 0]);
        Assert.Equal(7f, planes[2 * 4 + 3], 4);
        Assert.Equal(1.5f, planes[3], 4);

        var far = new float[3 * 4];
        AreaResampler.CropToPlanes(Ramp(16, 16), 100, 100, 8, 2, far);
        Assert.All(far, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Enlarging_is_bilinear_between_pixel_centres()
    {
        var planes = new float[3 * 8 * 8];
        // [2, 4)² at 8x8: target pixel centres at 2 + (t + 0.5) / 4, source centres at i + 0.5.
        AreaResampler.CropToPlanes(Ramp(16, 16), 2, 2, 2, 8, planes);
        for (var t = 0; t < 8; t++)
            Assert.Equal(2 + (t + 0.5f) / 4 - 0.5f, planes[t], 4);
    }
}
