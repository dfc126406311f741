using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// face-api's FaceRecognitionNet: dlib's ResNet-29 face descriptor (dlib_face_recognition_resnet_model_v1),
/// a 150x150 RGB chip to a 128-d embedding.
/// </summary>
public sealed class FaceRecognitionRecipe(ActivationQuantization? quantization = null) : TfjsNetworkRecipe
{
    public const int InputSize = Inference.Recognition.RecognitionNet.ChipSize;

    /// <summary>Where models/build.sh keeps the activation ranges the int8 graph is built with, relative to models/.</summary>
    public const string Int8RangesFile = "quantization/face_recognition_int8.json";

    private readonly ActivationQuantization _quantization = quantization ?? ActivationQuantization.None;

    /// <summary>The int8 graph's activation ranges, or null for the float32 graph.</summary>
    public QuantizationRanges? Int8Ranges => (_quantization as Int8Activations)?.Ranges;

    /// <summary>The int8 (QDQ) graph, quantized over <paramref name="ranges"/>.</summary>
    public static FaceRecognitionRecipe Int8(QuantizationRanges ranges) => new(new Int8Activations(ranges));

    public override string Name => _quantization.QuantizesWeights ? "face_recognition_int8" : "face_recognition";
    public override IReadOnlyList<KeyValuePair<string, string>> ExtraMetadata => _quantization is Int8Activations int8
        ?
        [
            new("quantization", "int8 QDQ: conv weights per output channel, symmetric int8 (dlib's scale layer folded in); " +
                $"activations uint8 per tensor over ranges measured on {int8.Ranges.Chips} chips ({int8.Ranges.Percentile} percentile)"),
        ]
        : [];

    public override string SourceManifest => "face_recognition_model-weights_manifest.json";
    public override string Origin =>
        "dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1) trained by Davis King, Boost Software License; "
        + "ported to TensorFlow.js by Vincent Mühler for face-api.js (MIT)";

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, InputSize, InputSize], "float32 NCHW, RGB 0..255", MeanRgbNormalisation);

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("embedding", [Batch, 128], "face descriptor, raw (not L2-normalised); face-api compares with Euclidean distance"),
    ];

    public override void Build(TfjsWeightMap weights, GraphBuilder graph)
    {
        var tf = new TfLayers(graph);
        string input = DeclareInput(graph);
        FeatureMap x;
        if (_quantization is Int8Activations int8)
        {
            // The 0..255 pixels are exact in uint8 at scale 1; the normalisation goes into the first conv's weights
            // (exact there: that conv has no padding).
            x = int8.Quantize(graph, new FeatureMap(input, 3, InputSize, InputSize), (1f, 0));
        }
        else
        {
            x = new FeatureMap(SubtractMeanRgbAndScale(graph, input), 3, InputSize, InputSize);
        }

        FeatureMap conv = ConvLayer(tf, weights, x, "conv32_down", stride: 2, TfPadding.Valid, relu: true, normaliseInput: true);
        x = _quantization.Like(graph, tf.MaxPoolValid(conv, kernel: 3, stride: 2), conv);

        x = Residual(tf, weights, x, "conv32_1");
        x = Residual(tf, weights, x, "conv32_2");
        x = Residual(tf, weights, x, "conv32_3");

        x = ResidualDown(tf, weights, x, "conv64_down");
        x = Residual(tf, weights, x, "conv64_1");
        x = Residual(tf, weights, x, "conv64_2");
        x = Residual(tf, weights, x, "conv64_3");

        x = ResidualDown(tf, weights, x, "conv128_down");
        x = Residual(tf, weights, x, "conv128_1");
        x = Residual(tf, weights, x, "conv128_2");

        x = ResidualDown(tf, weights, x, "conv256_down");
        x = Residual(tf, weights, x, "conv256_1");
        x = Residual(tf, weights, x, "conv256_2");
        x = ResidualDown(tf, weights, x, "conv256_down_out");

        string globalAverage = graph.ReduceMean(x.Name, [2, 3], keepDims: false);
        TfjsTensor fc = weights.Get("fc", x.Channels, 128);
        string embedding = graph.MatMul(globalAverage, graph.Initializer("fc", fc.Values, x.Channels, 128));
        DeclareOutput(graph, 0, embedding);
    }

    // conv (+bias) -> scale layer -> optional relu; in int8 the scale layer (and for the first conv the input
    // normalisation) folded into the conv. The result is the activation point named by the prefix.
    private FeatureMap ConvLayer(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride,
        TfPadding padding, bool relu, bool normaliseInput = false)
    {
        TfjsTensor filters = weights.Get($"{prefix}/conv/filters", null, null, x.Channels, null);
        int channels = filters.Shape[3];
        TfjsTensor bias = weights.Get($"{prefix}/conv/bias", channels);
        TfjsTensor scale = weights.Get($"{prefix}/scale/weights", channels), shift = weights.Get($"{prefix}/scale/biases", channels);
        FeatureMap output;
        if (_quantization is Int8Activations int8)
        {
            (float[] folded, float[] foldedBias) = Int8Math.FoldChannelScale(TfLayers.HwioToOihw(filters), bias.Values, scale.Values, shift.Values);
            // tfjs stored the filters as uint8 with zero on the grid: after folding, channel o's grid step is step · |scale[o]|.
            float[]? lattice = filters.QuantizationScale is double step
                ? [.. scale.Values.Select(s => (float)(step * Math.Abs(s) / (normaliseInput ? 255 : 1)))]
                : null;
            if (normaliseInput)
            {
                if (padding != TfPadding.Valid)
                {
                    throw new InvalidOperationException($"{prefix}: the input normalisation folds into a conv without padding only.");
                }

                (folded, foldedBias) = Int8Math.FoldInputAffine(folded, foldedBias, [.. MeanRgb.Select(_ => 1f / 255f)],
                    [.. MeanRgb.Select(m => -m / 255f)]);
            }

            output = tf.Conv2DInt8(x, prefix.Replace('/', '.'), folded, foldedBias, filters.Shape[0], filters.Shape[1],
                int8.ParametersOf(x).Scale, stride, padding, lattice);
        }
        else
        {
            FeatureMap conv = tf.Conv2D(x, filters, bias, stride, padding);
            output = tf.ChannelScale(conv, scale, shift);
        }

        return _quantization.At(tf.Graph, prefix, relu ? tf.Relu(output) : output);
    }

    private FeatureMap Residual(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix)
    {
        FeatureMap output = ConvLayer(tf, weights, x, $"{prefix}/conv1", stride: 1, TfPadding.Same, relu: true);
        output = ConvLayer(tf, weights, output, $"{prefix}/conv2", stride: 1, TfPadding.Same, relu: false);
        return _quantization.At(tf.Graph, $"{prefix}/out", tf.Relu(tf.Add(output, x)));
    }

    // face-api's residualDown: the shortcut is a 2x2 average pool, zero-padded to the new channel count; where the
    // strided 'valid' conv comes out one smaller than the pool (odd sizes: 8 -> 3 vs 4, then 4 -> 1 vs 2 at 150 input),
    // face-api appends a zero row and column to the conv branch.
    private FeatureMap ResidualDown(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix)
    {
        FeatureMap output = ConvLayer(tf, weights, x, $"{prefix}/conv1", stride: 2, TfPadding.Valid, relu: true);
        output = ConvLayer(tf, weights, output, $"{prefix}/conv2", stride: 1, TfPadding.Same, relu: false);

        FeatureMap pooled = _quantization.At(tf.Graph, $"{prefix}/pool", tf.AvgPoolValid(x, kernel: 2, stride: 2));
        if (pooled.Height != output.Height || pooled.Width != output.Width)
        {
            if (pooled.Height - output.Height != 1 || pooled.Width - output.Width != 1)
            {
                throw new InvalidOperationException(
                    $"{prefix}: face-api pads the conv branch by exactly one row and column; sizes {output} and {pooled} need more.");
            }

            output = _quantization.Like(tf.Graph, tf.PadEnd(output, channels: 0, rows: 1, columns: 1), output);
        }

        pooled = _quantization.Like(tf.Graph, tf.PadEnd(pooled, channels: output.Channels - pooled.Channels, rows: 0, columns: 0), pooled);
        return _quantization.At(tf.Graph, $"{prefix}/out", tf.Relu(tf.Add(pooled, output)));
    }
}
