using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// face-api's FaceRecognitionNet: dlib's ResNet-29 face descriptor (dlib_face_recognition_resnet_model_v1),
/// a 150x150 RGB chip to a 128-d embedding.
/// </summary>
public sealed class FaceRecognitionRecipe : TfjsNetworkRecipe
{
    public const int InputSize = Inference.Recognition.RecognitionNet.ChipSize;

    public override string Name => "face_recognition";
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
        var x = new FeatureMap(SubtractMeanRgbAndScale(graph, input), 3, InputSize, InputSize);

        x = ConvLayer(tf, weights, x, "conv32_down", stride: 2, TfPadding.Valid, relu: true);
        x = tf.MaxPoolValid(x, kernel: 3, stride: 2);

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

    // conv (+bias) -> scale layer -> optional relu
    private static FeatureMap ConvLayer(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride,
        TfPadding padding, bool relu)
    {
        TfjsTensor filters = weights.Get($"{prefix}/conv/filters", null, null, x.Channels, null);
        int channels = filters.Shape[3];
        FeatureMap conv = tf.Conv2D(x, filters, weights.Get($"{prefix}/conv/bias", channels), stride, padding);
        FeatureMap scaled = tf.ChannelScale(conv,
            weights.Get($"{prefix}/scale/weights", channels), weights.Get($"{prefix}/scale/biases", channels));
        return relu ? tf.Relu(scaled) : scaled;
    }

    private static FeatureMap Residual(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix)
    {
        FeatureMap output = ConvLayer(tf, weights, x, $"{prefix}/conv1", stride: 1, TfPadding.Same, relu: true);
        output = ConvLayer(tf, weights, output, $"{prefix}/conv2", stride: 1, TfPadding.Same, relu: false);
        return tf.Relu(tf.Add(output, x));
    }

    // face-api's residualDown: the shortcut is a 2x2 average pool, zero-padded to the new channel count; where the
    // strided 'valid' conv comes out one smaller than the pool (odd sizes: 8 -> 3 vs 4, then 4 -> 1 vs 2 at 150 input),
    // face-api appends a zero row and column to the conv branch.
    private static FeatureMap ResidualDown(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix)
    {
        FeatureMap output = ConvLayer(tf, weights, x, $"{prefix}/conv1", stride: 2, TfPadding.Valid, relu: true);
        output = ConvLayer(tf, weights, output, $"{prefix}/conv2", stride: 1, TfPadding.Same, relu: false);

        FeatureMap pooled = tf.AvgPoolValid(x, kernel: 2, stride: 2);
        if (pooled.Height != output.Height || pooled.Width != output.Width)
        {
            if (pooled.Height - output.Height != 1 || pooled.Width - output.Width != 1)
            {
                throw new InvalidOperationException(
                    $"{prefix}: face-api pads the conv branch by exactly one row and column; sizes {output} and {pooled} need more.");
            }

            output = tf.PadEnd(output, channels: 0, rows: 1, columns: 1);
        }

        pooled = tf.PadEnd(pooled, channels: output.Channels - pooled.Channels, rows: 0, columns: 0);
        return tf.Relu(tf.Add(pooled, output));
    }
}
