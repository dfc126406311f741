using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// face-api's FaceLandmark68Net: the FaceFeatureExtractor (four dense blocks of depthwise-separable convolutions),
/// a 7x7 average pool and a fully connected layer to 68 (x, y) points.
/// </summary>
public sealed class FaceLandmark68Recipe : TfjsNetworkRecipe
{
    public const int InputSize = 112;
    public const int OutputLength = 136;

    public override string Name => "face_landmark_68";
    public override string SourceManifest => "face_landmark_68_model-weights_manifest.json";
    public override string Origin => "68-point face landmark net trained by Vincent Mühler for face-api.js (MIT)";

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, InputSize, InputSize],
        "float32 NCHW, RGB 0..255; the face crop padded to square (centred), then resized to 112",
        MeanRgbNormalisation);

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("landmarks", [Batch, OutputLength],
            "x0, y0, x1, y1, ... x67, y67 as fractions 0..1 of the 112x112 input (iBUG 68-point order), raw"),
    ];

    public override void Build(TfjsWeightMap weights, GraphBuilder graph)
    {
        var tf = new TfLayers(graph);
        string input = DeclareInput(graph);
        var x = new FeatureMap(SubtractMeanRgbAndScale(graph, input), 3, InputSize, InputSize);

        x = DenseBlock4(tf, weights, x, "dense0", isFirstLayer: true);
        x = DenseBlock4(tf, weights, x, "dense1", isFirstLayer: false);
        x = DenseBlock4(tf, weights, x, "dense2", isFirstLayer: false);
        x = DenseBlock4(tf, weights, x, "dense3", isFirstLayer: false);
        x = tf.AvgPoolValid(x, kernel: 7, stride: 2);
        if ((x.Height, x.Width) != (1, 1))
        {
            throw new InvalidOperationException($"The feature extractor should end at 1x1, got {x}.");
        }

        string features = graph.Flatten(x.Name, axis: 1);
        TfjsTensor fcWeights = weights.Get("fc/weights", x.Channels, OutputLength);
        TfjsTensor fcBias = weights.Get("fc/bias", OutputLength);
        string landmarks = graph.Add(
            graph.MatMul(features, graph.Initializer("fc.weights", fcWeights.Values, x.Channels, OutputLength)),
            graph.Initializer("fc.bias", fcBias.Values, OutputLength));
        DeclareOutput(graph, 0, landmarks);
    }

    // face-api's denseBlock4 (scale-down variant): each conv sees the relu'd sum of all earlier outputs of the block.
    private static FeatureMap DenseBlock4(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, bool isFirstLayer)
    {
        FeatureMap out1 = tf.Relu(isFirstLayer
            ? Conv(tf, weights, x, $"{prefix}/conv0", stride: 2)
            : SeparableConv(tf, weights, x, $"{prefix}/conv0", stride: 2));
        FeatureMap out2 = SeparableConv(tf, weights, out1, $"{prefix}/conv1", stride: 1);
        FeatureMap in3 = tf.Relu(tf.Add(out1, out2));
        FeatureMap out3 = SeparableConv(tf, weights, in3, $"{prefix}/conv2", stride: 1);
        FeatureMap in4 = tf.Relu(tf.Add(out1, tf.Add(out2, out3)));
        FeatureMap out4 = SeparableConv(tf, weights, in4, $"{prefix}/conv3", stride: 1);
        return tf.Relu(tf.Add(out1, tf.Add(out2, tf.Add(out3, out4))));
    }

    // tf.conv2d 3x3 'same' + bias
    private static FeatureMap Conv(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride)
    {
        TfjsTensor filters = weights.Get($"{prefix}/filters", 3, 3, x.Channels, null);
        return tf.Conv2D(x, filters, weights.Get($"{prefix}/bias", filters.Shape[3]), stride, TfPadding.Same);
    }

    // tf.separableConv2d (depthwise 'same' at the stride, then 1x1 pointwise) + bias
    private static FeatureMap SeparableConv(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride)
    {
        FeatureMap depthwise = tf.DepthwiseConv2D(x, weights.Get($"{prefix}/depthwise_filter", 3, 3, x.Channels, 1), stride, TfPadding.Same);
        TfjsTensor pointwise = weights.Get($"{prefix}/pointwise_filter", 1, 1, x.Channels, null);
        return tf.Conv2D(depthwise, pointwise, weights.Get($"{prefix}/bias", pointwise.Shape[3]), stride: 1, TfPadding.Same);
    }
}
