using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tests.TestSupport;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Tests;

/// <summary>The int8 recognition graph's arithmetic: folding dlib's scale layer and the input normalisation, quantizing weights.</summary>
public sealed class Int8QuantizationTests
{
    [Fact]
    public void Uint8_parameters_hold_zero_exactly_and_relu_ranges_get_zero_point_0()
    {
        Assert.Equal((6f / 255f, (byte)0), Int8Math.UInt8Parameters(0, 6));
        (float scale, byte zeroPoint) = Int8Math.UInt8Parameters(-1, 3);
        Assert.Equal(4f / 255f, scale, 6);
        Assert.Equal(64, zeroPoint);
        // A range that does not reach zero is widened to it.
        Assert.Equal((5f / 255f, (byte)0), Int8Math.UInt8Parameters(2, 5));
    }

    [Fact]
    public void Weights_on_a_lattice_that_fits_int8_are_exact_and_others_take_the_least_error_scale()
    {
        const float step = 0.003f;
        // Channel 0: steps -128..127 (exact); channel 1: 186 steps (does not fit int8); channel 2: no lattice.
        float[] weights = [.. new[] { -128, -5, 0, 127 }.Select(k => k * step), .. new[] { -186, 3, 10, 40 }.Select(k => k * step),
            0.1f, -0.033f, 0.0071f, 0.25f];

        (sbyte[] q, float[] scales) = Int8Math.QuantizeWeightsPerChannel(weights, cout: 3, lattice: [step, step, step]);

        Assert.Equal(step, scales[0]);
        Assert.Equal([-128, -5, 0, 127], q[..4].Select(v => (int)v));
        Assert.NotEqual(step, scales[1]);
        for (int o = 1; o < 3; o++)
        {
            float max = weights.Skip(o * 4).Take(4).Max(MathF.Abs);
            double error = 0, maxScaleError = 0;
            for (int i = o * 4; i < o * 4 + 4; i++)
            {
                Assert.InRange(q[i], -127, 127);
                error += Math.Pow(weights[i] - q[i] * scales[o], 2);
                maxScaleError += Math.Pow(weights[i] - MathF.Round(weights[i] / (max / 127)) * (max / 127), 2);
            }

            Assert.True(error <= maxScaleError + 1e-12, $"channel {o}: {error} > {maxScaleError} of the max-abs scale");
        }
    }

    [Fact]
    public void Input_normalisation_folds_into_a_conv_without_padding()
    {
        // One output of a 1x1-output conv: Σ W · (a[c] · x + b[c]) + bias = Σ W' · x + bias'.
        float[] w = [0.5f, -0.25f, 1.5f, 0.75f, 2f, -1f]; // [1 out, 3 in, 1, 2]
        float[] x = [10, 200, 30, 40, 255, 0];
        float[] a = [1 / 255f, 1 / 255f, 1 / 255f], b = [-0.48f, -0.46f, -0.41f];
        double expected = 0.3;
        for (int i = 0; i < 6; i++)
        {
            expected += w[i] * (a[i / 2] * x[i] + b[i / 2]);
        }

        (float[] folded, float[] bias) = Int8Math.FoldInputAffine(w, [0.3f], a, b);

        Assert.Equal(expected, bias[0] + folded.Zip(x).Sum(p => (double)p.First * p.Second), 4);
    }

    /// <summary>conv + dlib's scale layer in float, against the folded conv with int8 weights and an int32 bias in ONNX Runtime.</summary>
    [Fact]
    public void Folded_int8_conv_matches_conv_then_channel_scale()
    {
        const int size = 6, cin = 2, cout = 3, kernel = 3;
        const float step = 0.01f, inputScale = 1 / 32f;
        // Inputs on the uint8 grid of the input's quantization (scale 1/32, zero point 128), weights on tfjs's lattice.
        float[] input = [.. Enumerable.Range(0, cin * size * size).Select(i => ((i * 37 % 200) - 100) * inputScale)];
        var filters = new TfjsTensor("f", [kernel, kernel, cin, cout],
            [.. Enumerable.Range(0, kernel * kernel * cin * cout).Select(i => ((i * 53 % 255) - 127) * step)], step);
        var bias = new TfjsTensor("b", [cout], [0.1f, -0.2f, 0.05f]);
        var scale = new TfjsTensor("s", [cout], [0.8f, -1.3f, 2.1f]);
        var shift = new TfjsTensor("t", [cout], [0.02f, 0.5f, -0.3f]);

        float[] expected = Run(input, size, cin, (tf, _, x) =>
            tf.ChannelScale(tf.Conv2D(x, filters, bias, 1, TfPadding.Same), scale, shift));
        float[] actual = Run(input, size, cin, (tf, graph, x) =>
        {
            var int8 = new Int8Activations(new QuantizationRanges
            {
                Model = "test", Description = "", Chips = 0, Percentile = 100, Ranges = [],
            });
            FeatureMap quantized = int8.Quantize(graph, x, (inputScale, 128));
            (float[] w, float[] b) = Int8Math.FoldChannelScale(TfLayers.HwioToOihw(filters), bias.Values, scale.Values, shift.Values);
            float[] lattice = [.. scale.Values.Select(s => step * MathF.Abs(s))];
            return tf.Conv2DInt8(quantized, "conv", w, b, kernel, kernel, inputScale, 1, TfPadding.Same, lattice);
        });

        Assert.Equal(expected.Length, actual.Length);
        // Exact up to the int32 bias's rounding (half of input scale x weight scale) and float sums.
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) < 1e-3f, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static float[] Run(float[] nchw, int size, int channels, Func<TfLayers, GraphBuilder, FeatureMap, FeatureMap> layer)
    {
        var graph = new GraphBuilder("test");
        string input = graph.Input("input", 1, channels, size, size);
        FeatureMap output = layer(new TfLayers(graph), graph, new FeatureMap(input, channels, size, size));
        graph.Output(output.Name, "output", 1, output.Channels, output.Height, output.Width);
        using var runner = new OnnxModelRunner(graph.ToModel("test", "0", "", []).ToByteArray());
        return runner.Run("input", nchw, 1, channels, size, size)["output"].Values;
    }
}
