using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tests.TestSupport;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Tests;

/// <summary>
/// Small graphs built with <see cref="TfLayers"/>, run in ONNX Runtime, against a direct NHWC implementation of
/// TensorFlow's conv2d / depthwiseConv2d: checks the weight layout conversion and the explicit 'same' pads together.
/// </summary>
public sealed class TfLayersOrtTests
{
    [Theory]
    [InlineData(6, 5, 3, 2, TfPadding.Same)] // asymmetric pads: nothing before, one after (rows), one each side (columns)
    [InlineData(7, 7, 3, 1, TfPadding.Same)]
    [InlineData(9, 8, 3, 2, TfPadding.Valid)]
    [InlineData(5, 5, 1, 1, TfPadding.Same)]
    public void Conv2D_matches_tensorflow(int height, int width, int kernel, int stride, TfPadding padding)
    {
        const int cin = 2, cout = 3;
        float[] input = Sequence(height * width * cin, 0.37f);
        var filters = new TfjsTensor("filters", [kernel, kernel, cin, cout], Sequence(kernel * kernel * cin * cout, 0.11f));
        var bias = new TfjsTensor("bias", [cout], [0.5f, -1f, 2f]);

        float[] actual = RunNhwc(input, height, width, cin, (tf, x) => tf.Conv2D(x, filters, bias, stride, padding));

        float[] expected = ReferenceConv(input, height, width, cin, filters.Values, kernel, cout, stride, padding, depthwise: false);
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] += bias.Values[i % cout];
        }

        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(5, 6, 2)]
    [InlineData(8, 8, 2)]
    [InlineData(4, 3, 1)]
    public void DepthwiseConv2D_matches_tensorflow(int height, int width, int stride)
    {
        const int channels = 3;
        float[] input = Sequence(height * width * channels, 0.23f);
        var filters = new TfjsTensor("dw", [3, 3, channels, 1], Sequence(9 * channels, 0.17f));

        float[] actual = RunNhwc(input, height, width, channels, (tf, x) => tf.DepthwiseConv2D(x, filters, stride, TfPadding.Same));

        AssertClose(ReferenceConv(input, height, width, channels, filters.Values, 3, channels, stride, TfPadding.Same, depthwise: true), actual);
    }

    [Fact]
    public void PadEnd_appends_zero_channels_rows_and_columns()
    {
        float[] input = [1, 2, 3, 4]; // NHWC [1,2,2,1]

        float[] actual = RunNhwc(input, 2, 2, 1, (tf, x) => tf.PadEnd(x, channels: 1, rows: 1, columns: 1));

        // NHWC [1,3,3,2]: the original value then a zero channel; zeros in the new bottom row and right column.
        Assert.Equal([1, 0, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0], actual);
    }

    // Builds input NCHW -> layer -> output NCHW, feeds NHWC data (transposed here) and returns NHWC results.
    private static float[] RunNhwc(float[] nhwc, int height, int width, int channels, Func<TfLayers, FeatureMap, FeatureMap> layer)
    {
        var graph = new GraphBuilder("test");
        var tf = new TfLayers(graph);
        string input = graph.Input("input", 1, channels, height, width);
        FeatureMap output = layer(tf, new FeatureMap(input, channels, height, width));
        graph.Output(output.Name, "output", 1, output.Channels, output.Height, output.Width);

        using var runner = new OnnxModelRunner(graph.ToModel("test", "0", "", []).ToByteArray());
        (float[] values, int[] shape) = runner.Run("input", NhwcToNchw(nhwc, height, width, channels), 1, channels, height, width)["output"];
        Assert.Equal([1, output.Channels, output.Height, output.Width], shape);
        return NchwToNhwc(values, shape[2], shape[3], shape[1]);
    }

    private static float[] ReferenceConv(float[] x, int height, int width, int cin, float[] filters, int kernel, int cout,
        int stride, TfPadding padding, bool depthwise)
    {
        int outH = padding == TfPadding.Same ? (height + stride - 1) / stride : (height - kernel) / stride + 1;
        int outW = padding == TfPadding.Same ? (width + stride - 1) / stride : (width - kernel) / stride + 1;
        int padTop = padding == TfPadding.Same ? Math.Max((outH - 1) * stride + kernel - height, 0) / 2 : 0;
        int padLeft = padding == TfPadding.Same ? Math.Max((outW - 1) * stride + kernel - width, 0) / 2 : 0;
        var result = new float[outH * outW * cout];
        for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
        for (int o = 0; o < cout; o++)
        {
            double sum = 0;
            for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++)
            {
                int iy = oy * stride + ky - padTop, ix = ox * stride + kx - padLeft;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width)
                {
                    continue;
                }

                if (depthwise)
                {
                    sum += x[(iy * width + ix) * cin + o] * filters[(ky * kernel + kx) * cin + o];
                }
                else
                {
                    for (int i = 0; i < cin; i++)
                    {
                        sum += x[(iy * width + ix) * cin + i] * filters[((ky * kernel + kx) * cin + i) * cout + o];
                    }
                }
            }

            result[(oy * outW + ox) * cout + o] = (float)sum;
        }

        return result;
    }

    private static float[] Sequence(int length, float step) =>
        Enumerable.Range(0, length).Select(i => MathF.Sin(i * step) + 0.1f * (i % 7)).ToArray();

    private static float[] NhwcToNchw(float[] nhwc, int height, int width, int channels)
    {
        var nchw = new float[nhwc.Length];
        for (int p = 0; p < height * width; p++)
        for (int c = 0; c < channels; c++)
        {
            nchw[c * height * width + p] = nhwc[p * channels + c];
        }

        return nchw;
    }

    private static float[] NchwToNhwc(float[] nchw, int height, int width, int channels)
    {
        var nhwc = new float[nchw.Length];
        for (int p = 0; p < height * width; p++)
        for (int c = 0; c < channels; c++)
        {
            nhwc[p * channels + c] = nchw[c * height * width + p];
        }

        return nhwc;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) < 1e-4f, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
