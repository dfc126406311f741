using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

public enum TfPadding
{
    Same,
    Valid,
}

/// <summary>TensorFlow's output-size and 'same'-padding rules, which ONNX's auto_pad does not match for every case.</summary>
public static class TfPaddingMath
{
    public static int OutputSize(int input, int kernel, int stride, TfPadding padding) => padding switch
    {
        TfPadding.Same => (input + stride - 1) / stride,
        TfPadding.Valid => (input - kernel) / stride + 1,
        _ => throw new ArgumentOutOfRangeException(nameof(padding)),
    };

    /// <summary>pad_total = max((ceil(in/s)-1)*s + k - in, 0); the smaller half goes before.</summary>
    public static (int Before, int After) SamePads(int input, int kernel, int stride)
    {
        int total = Math.Max((OutputSize(input, kernel, stride, TfPadding.Same) - 1) * stride + kernel - input, 0);
        return (total / 2, total - total / 2);
    }
}

/// <summary>A batch of NCHW feature maps in the graph, with its static channel and spatial sizes.</summary>
public readonly record struct FeatureMap(string Name, int Channels, int Height, int Width);

/// <summary>
/// TensorFlow.js layer semantics on an ONNX graph: NHWC/HWIO weights become NCHW/OIHW, 'same' padding becomes
/// explicit pads.
/// </summary>
public sealed class TfLayers(GraphBuilder graph)
{
    public GraphBuilder Graph { get; } = graph;

    /// <summary>tf.conv2d with HWIO filters, plus an optional per-channel bias.</summary>
    public FeatureMap Conv2D(FeatureMap x, TfjsTensor filtersHwio, TfjsTensor? bias, int stride, TfPadding padding)
    {
        int kh = filtersHwio.Shape[0], kw = filtersHwio.Shape[1], cin = filtersHwio.Shape[2], cout = filtersHwio.Shape[3];
        RequireChannels(x, cin, filtersHwio.Name);
        string weights = Graph.Initializer(Hint(filtersHwio), HwioToOihw(filtersHwio), cout, cin, kh, kw);
        return Convolve(x, weights, BiasInitializer(bias, cout), kh, kw, cout, stride, padding, group: 1);
    }

    /// <summary>
    /// A conv in QDQ form: <paramref name="oihw"/> quantized per output channel to int8 and <paramref name="bias"/> to
    /// int32 at <paramref name="inputScale"/> x weight scale, each through a DequantizeLinear; <paramref name="x"/> is the
    /// dequantized activation; <paramref name="weightLattice"/>: see <see cref="Int8Math.QuantizeWeightsPerChannel"/>.
    /// </summary>
    public FeatureMap Conv2DInt8(FeatureMap x, string hint, float[] oihw, float[] bias, int kh, int kw, float inputScale, int stride,
        TfPadding padding, float[]? weightLattice = null)
    {
        int cout = bias.Length, cin = oihw.Length / (cout * kh * kw);
        RequireChannels(x, cin, hint);
        (sbyte[] q, float[] weightScales) = Int8Math.QuantizeWeightsPerChannel(oihw, cout, weightLattice);
        (int[] qBias, float[] biasScales) = Int8Math.QuantizeBias(bias, inputScale, weightScales);
        string weights = Graph.DequantizePerAxis(
            Graph.Initializer(hint + ".filters_int8", name => OnnxTensor.FromInt8s(name, q, cout, cin, kh, kw)),
            weightScales, OnnxDataType.Int8, axis: 0);
        string biasName = Graph.DequantizePerAxis(
            Graph.Initializer(hint + ".bias_int32", name => OnnxTensor.FromInt32s(name, qBias, cout)),
            biasScales, OnnxDataType.Int32, axis: 0);
        return Convolve(x, weights, biasName, kh, kw, cout, stride, padding, group: 1);
    }

    /// <summary>tf.depthwiseConv2d with HWC1 filters (channel multiplier 1).</summary>
    public FeatureMap DepthwiseConv2D(FeatureMap x, TfjsTensor filtersHwc1, int stride, TfPadding padding)
    {
        int kh = filtersHwc1.Shape[0], kw = filtersHwc1.Shape[1], channels = filtersHwc1.Shape[2];
        if (filtersHwc1.Shape[3] != 1)
        {
            throw new InvalidDataException($"'{filtersHwc1.Name}': channel multiplier {filtersHwc1.Shape[3]} is not supported.");
        }

        RequireChannels(x, channels, filtersHwc1.Name);
        // HWC1 viewed as HWIO with I = C, O = 1 transposes to [C,1,kh,kw], ONNX's grouped-conv layout.
        string weights = Graph.Initializer(Hint(filtersHwc1), HwioToOihw(filtersHwc1, kh, kw, channels, 1), channels, 1, kh, kw);
        return Convolve(x, weights, null, kh, kw, channels, stride, padding, group: channels);
    }

    /// <summary>x * weights[c] + biases[c], TF's broadcast over the channel axis.</summary>
    public FeatureMap ChannelScale(FeatureMap x, TfjsTensor weights, TfjsTensor biases)
    {
        string scaled = Graph.Mul(x.Name, ChannelConstant(weights, x.Channels));
        return x with { Name = Graph.Add(scaled, ChannelConstant(biases, x.Channels)) };
    }

    public FeatureMap BatchNorm(FeatureMap x, TfjsTensor scale, TfjsTensor offset, TfjsTensor mean, TfjsTensor variance, float epsilon)
    {
        string Vector(TfjsTensor t) => Graph.Initializer(Hint(t), t.Values, RequireLength(t, x.Channels));
        return x with
        {
            Name = Graph.BatchNormalization(x.Name, Vector(scale), Vector(offset), Vector(mean), Vector(variance), epsilon),
        };
    }

    public FeatureMap Relu(FeatureMap x) => x with { Name = Graph.Relu(x.Name) };

    public FeatureMap Relu6(FeatureMap x) => x with { Name = Graph.Clip(x.Name, 0, 6) };

    public FeatureMap Add(FeatureMap a, FeatureMap b)
    {
        if ((a.Channels, a.Height, a.Width) != (b.Channels, b.Height, b.Width))
        {
            throw new InvalidOperationException($"Cannot add {a} and {b}: shapes differ.");
        }

        return a with { Name = Graph.Add(a.Name, b.Name) };
    }

    public FeatureMap MaxPoolValid(FeatureMap x, int kernel, int stride) => Pooled(x, Graph.MaxPool(x.Name, kernel, stride), kernel, stride);

    public FeatureMap AvgPoolValid(FeatureMap x, int kernel, int stride) => Pooled(x, Graph.AveragePool(x.Name, kernel, stride), kernel, stride);

    /// <summary>Appends zeros: <paramref name="channels"/> channels at the end, one row at the bottom, one column at the right.</summary>
    public FeatureMap PadEnd(FeatureMap x, int channels, int rows, int columns)
    {
        if (channels == 0 && rows == 0 && columns == 0)
        {
            return x;
        }

        string padded = Graph.Pad(x.Name, 0, 0, 0, 0, 0, channels, rows, columns);
        return new FeatureMap(padded, x.Channels + channels, x.Height + rows, x.Width + columns);
    }

    /// <summary>The NCHW map as TF's NHWC order flattened to [N, H*W*C/last, last], as tf.reshape of an NHWC tensor does.</summary>
    public string ReshapeNhwc(FeatureMap x, int last)
    {
        string nhwc = Graph.Transpose(x.Name, 0, 2, 3, 1);
        return Graph.Reshape(nhwc, 0, -1, last);
    }

    public static float[] HwioToOihw(TfjsTensor filters) =>
        HwioToOihw(filters, filters.Shape[0], filters.Shape[1], filters.Shape[2], filters.Shape[3]);

    private static float[] HwioToOihw(TfjsTensor filters, int kh, int kw, int cin, int cout)
    {
        float[] source = filters.Values;
        var result = new float[source.Length];
        for (int h = 0; h < kh; h++)
        {
            for (int w = 0; w < kw; w++)
            {
                for (int i = 0; i < cin; i++)
                {
                    for (int o = 0; o < cout; o++)
                    {
                        result[((o * cin + i) * kh + h) * kw + w] = source[((h * kw + w) * cin + i) * cout + o];
                    }
                }
            }
        }

        return result;
    }

    private FeatureMap Convolve(FeatureMap x, string weights, string? bias, int kh, int kw, int cout, int stride, TfPadding padding, int group)
    {
        (int top, int bottom) = padding == TfPadding.Same ? TfPaddingMath.SamePads(x.Height, kh, stride) : (0, 0);
        (int left, int right) = padding == TfPadding.Same ? TfPaddingMath.SamePads(x.Width, kw, stride) : (0, 0);
        string output = Graph.Conv(x.Name, weights, bias, [kh, kw], [stride, stride], [top, left, bottom, right], group);
        return new FeatureMap(
            output,
            cout,
            TfPaddingMath.OutputSize(x.Height, kh, stride, padding),
            TfPaddingMath.OutputSize(x.Width, kw, stride, padding));
    }

    private FeatureMap Pooled(FeatureMap x, string output, int kernel, int stride) =>
        new(output, x.Channels,
            TfPaddingMath.OutputSize(x.Height, kernel, stride, TfPadding.Valid),
            TfPaddingMath.OutputSize(x.Width, kernel, stride, TfPadding.Valid));

    private string? BiasInitializer(TfjsTensor? bias, int channels) =>
        bias is null ? null : Graph.Initializer(Hint(bias), bias.Values, RequireLength(bias, channels));

    private string ChannelConstant(TfjsTensor t, int channels) =>
        Graph.Initializer(Hint(t), t.Values, 1, RequireLength(t, channels), 1, 1);

    private static int RequireLength(TfjsTensor t, int channels)
    {
        if (t.Shape is not [var length] || length != channels)
        {
            throw new InvalidDataException($"'{t.Name}' has shape [{string.Join(",", t.Shape)}], expected [{channels}].");
        }

        return channels;
    }

    private static void RequireChannels(FeatureMap x, int channels, string weightName)
    {
        if (x.Channels != channels)
        {
            throw new InvalidDataException($"'{weightName}' expects {channels} input channels, the feature map has {x.Channels}.");
        }
    }

    private static string Hint(TfjsTensor t) => t.Name.Replace('/', '.');
}
