using FaceService.Core.Imaging;
using FaceService.Inference.Imaging;

namespace FaceService.Inference.Tests;

public sealed class HalvingPyramidTests
{
    private static RgbaImage Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 4];
        new Random(seed).NextBytes(pixels);
        return new RgbaImage(width, height, pixels);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(37, 5)] // odd: the last column and row average with themselves; 18 pairs: vector and scalar rows
    [InlineData(64, 3)]
    public void Each_pixel_is_the_rounded_mean_of_its_two_by_two_block(int width, int height)
    {
        var source = Noise(width, height, width * height);
        var half = HalvingPyramid.Halve(source);
        Assert.Equal(((width + 1) / 2, (height + 1) / 2), (half.Width, half.Height));
        for (var y = 0; y < half.Height; y++)
        for (var x = 0; x < half.Width; x++)
        for (var channel = 0; channel < 4; channel++)
        {
            int x1 = Math.Min(2 * x + 1, width - 1), y1 = Math.Min(2 * y + 1, height - 1);
            var sum = At(source, 2 * x, 2 * y, channel) + At(source, x1, 2 * y, channel) + At(source, 2 * x, y1, channel) + At(source, x1, y1, channel);
            Assert.Equal((sum + 2) / 4, At(half, x, y, channel));
        }
    }

    [Fact]
    public void A_resize_reads_the_smallest_level_with_a_pixel_per_target_pixel()
    {
        var pyramid = new HalvingPyramid(Noise(100, 60, 1));
        Assert.Equal(0, pyramid.For(1.9f).Shift);
        Assert.Equal(1, pyramid.For(2f).Shift);
        Assert.Equal(3, pyramid.For(15.9f).Shift);
        Assert.Equal((13, 8), (pyramid.For(15.9f).Level.Width, pyramid.For(15.9f).Level.Height));
        // A level keeps at least two pixels a side to halve: 60 → 30 → 15 → 8 → 4 → 2 → 1.
        Assert.Equal(6, pyramid.For(1e6f).Shift);
        Assert.Equal(1, pyramid.For(1e6f).Level.Height);
    }

    private static int At(RgbaImage image, int x, int y, int channel) => image.Pixels[(y * image.Width + x) * 4 + channel];
}
