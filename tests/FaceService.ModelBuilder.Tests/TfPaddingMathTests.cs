using FaceService.ModelBuilder.Networks;

namespace FaceService.ModelBuilder.Tests;

public sealed class TfPaddingMathTests
{
    [Theory]
    // input, kernel, stride -> TF 'same' output size and pads (before, after)
    [InlineData(512, 3, 2, 256, 0, 1)] // SSD conv_0: even input, stride 2 pads only after
    [InlineData(7, 3, 2, 4, 1, 1)]
    [InlineData(35, 3, 1, 35, 1, 1)]
    [InlineData(8, 1, 1, 8, 0, 0)]
    [InlineData(5, 4, 1, 5, 1, 2)] // odd total: the extra pixel goes after
    [InlineData(2, 3, 2, 1, 0, 1)] // SSD Prediction/Conv2d_7 at 2x2
    [InlineData(1, 3, 1, 1, 1, 1)]
    public void Same_padding_follows_tensorflow(int input, int kernel, int stride, int output, int before, int after)
    {
        Assert.Equal(output, TfPaddingMath.OutputSize(input, kernel, stride, TfPadding.Same));
        Assert.Equal((before, after), TfPaddingMath.SamePads(input, kernel, stride));
    }

    [Theory]
    [InlineData(150, 7, 2, 72)] // recognition conv32_down
    [InlineData(72, 3, 2, 35)] // its max pool
    [InlineData(8, 3, 2, 3)] // conv256_down conv branch, one smaller than its 2x2 pool (4)
    [InlineData(8, 2, 2, 4)]
    [InlineData(4, 3, 2, 1)] // conv256_down_out: 1 vs pool 2
    [InlineData(7, 7, 2, 1)] // landmark avg pool
    public void Valid_output_size_floors(int input, int kernel, int stride, int output) =>
        Assert.Equal(output, TfPaddingMath.OutputSize(input, kernel, stride, TfPadding.Valid));
}
