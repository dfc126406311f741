using FaceService.Core.Imaging;
using FaceService.Inference.Imaging;

namespace FaceService.Inference.Tests;

/// <summary>MTCNN's crops and levels: area averaging when shrinking, bilinear when enlarging, black outside the photo, read from the photo's halvings.</summary>
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

    private static HalvingPyramid Pyramid(int width, int height) => new(Ramp(width, height));

    // Read from a halving, a mean can be off by up to half a grey level per halving (each rounds to whole values; on
    // a ramp always upwards) and by the halving's coarser footprint.
    private const float HalvingTolerance = 1f;

    [Fact]
    public void Shrinking_by_a_whole_factor_averages_each_block()
    {
        var planes = new float[3 * 4 * 4];
        AreaResampler.CropToPlanes(Pyramid(64, 64), 8, 16, 16, 4, planes);
        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 4; x++)
        {
            // The block [8 + 4x, 12 + 4x) has mean x-coordinate 8 + 4x + 1.5 (read from the second halving).
            Assert.Equal(8 + 4 * x + 1.5f, planes[y * 4 + x], HalvingTolerance);
            Assert.Equal(16 + 4 * y + 1.5f, planes[16 + y * 4 + x], HalvingTolerance);
            Assert.Equal(7f, planes[32 + y * 4 + x], 3);
        }
    }

    [Fact]
    public void A_whole_photo_resize_reads_the_halving_that_still_has_a_pixel_per_target_pixel()
    {
        // 100x60 at 30x18 (3.33 photo pixels per target pixel) reads the first halving; each target pixel's mean x is
        // about the centre of its footprint, 3.33·(t + 0.5) - 0.5.
        var planes = new float[3 * 30 * 18];
        AreaResampler.ResizeToPlanes(Pyramid(100, 60), 30, 18, planes);
        for (var t = 0; t < 30; t++) Assert.Equal(100f / 30 * (t + 0.5f) - 0.5f, planes[5 * 30 + t], HalvingTolerance);
        for (var t = 0; t < 18; t++) Assert.Equal(60f / 18 * (t + 0.5f) - 0.5f, planes[30 * 18 + t * 30 + 7], HalvingTolerance);
    }

    /// <summary>A large level is resized in bands over the cores: exactly the values one band gives.</summary>
    [Fact]
    public void Bands_over_the_cores_give_the_same_values_as_one()
    {
        const int width = 333, height = 251, stride = 344; // 83,583 target pixels: over the banding threshold
        var pyramid = new HalvingPyramid(TestImages.Quadrants(1111, 837));
        var one = new float[3 * stride * height];
        var bands = Enumerable.Repeat(float.NaN, 3 * stride * height).ToArray();
        AreaResampler.ResizeToPlanes(pyramid, width, height, one, stride, maxBands: 1);
        AreaResampler.ResizeToPlanes(pyramid, width, height, bands, stride, maxBands: AreaResampler.MaxBands);
        Assert.Equal(one, bands);
        Assert.Contains(one, v => v > 0);
    }

    [Fact]
    public void A_row_stride_places_the_same_rows_further_apart_with_black_between()
    {
        const int width = 30, height = 18, stride = 48;
        var dense = new float[3 * width * height];
        AreaResampler.ResizeToPlanes(Pyramid(100, 60), width, height, dense);
        var padded = Enumerable.Repeat(float.NaN, 3 * stride * height).ToArray();
        AreaResampler.ResizeToPlanes(Pyramid(100, 60), width, height, padded, stride);
        for (var c = 0; c < 3; c++)
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(dense.AsSpan((c * height + y) * width, width), padded.AsSpan((c * height + y) * stride, width));
            Assert.All(padded.AsSpan((c * height + y) * stride + width, stride - width).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void A_fractional_footprint_weights_the_pixels_it_covers_in_part()
    {
        var planes = new float[3];
        // One target pixel over [1.25, 2.75) of the photo itself: three quarters of pixels 1 and 2 → mean x 1.5.
        AreaResampler.CropToPlanes(Pyramid(8, 8), 1.25f, 1.25f, 1.5f, 1, planes);
        Assert.Equal(1.5f, planes[0], 4);
        Assert.Equal(1.5f, planes[1], 4);
    }

    [Fact]
    public void Outside_the_photo_is_black_and_counts_in_the_mean()
    {
        var planes = new float[3 * 2 * 2];
        // The square [-4, 4)² at 2x2: the top-left target pixel is all outside, the bottom-right all inside.
        AreaResampler.CropToPlanes(Pyramid(16, 16), -4, -4, 8, 2, planes);
        Assert.Equal(0f, planes[2 * 4 + 0]);
        Assert.Equal(7f, planes[2 * 4 + 3], 4);
        Assert.Equal(1.5f, planes[3], HalvingTolerance);

        var far = new float[3 * 4];
        AreaResampler.CropToPlanes(Pyramid(16, 16), 100, 100, 8, 2, far);
        Assert.All(far, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Enlarging_is_bilinear_between_pixel_centres()
    {
        var planes = new float[3 * 8 * 8];
        // [2, 4)² at 8x8: target pixel centres at 2 + (t + 0.5) / 4, source centres at i + 0.5.
        AreaResampler.CropToPlanes(Pyramid(16, 16), 2, 2, 2, 8, planes);
        for (var t = 0; t < 8; t++)
            Assert.Equal(2 + (t + 0.5f) / 4 - 0.5f, planes[t], 4);
    }
}
