using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// face-api's SsdMobilenetv1 face detector: MobileNetV1 features, six SSD box predictors, and the output layer that
/// decodes box offsets against the stored anchors. Non-maximum suppression is left to the caller.
/// </summary>
public sealed class SsdMobilenetV1Recipe : TfjsNetworkRecipe
{
    public const int InputSize = 512;
    public const int AnchorCount = 5118;

    // tf.batchNorm epsilon of face-api's mobileNetV1 (the float32 nearest to 0.001).
    private const float BatchNormEpsilon = 0.0010000000474974513f;

    public override string Name => "ssd_mobilenetv1";
    public override string SourceManifest => "ssd_mobilenetv1_model-weights_manifest.json";
    public override string Origin =>
        "SSD MobileNetV1 face detector trained by Vincent Mühler for face-api.js (MIT)";

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, InputSize, InputSize],
        "float32 NCHW, RGB 0..255; the image padded to square at the bottom/right, then resized to 512",
        "x / 127.5 - 1, inside the graph");

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("boxes", [Batch, AnchorCount, 4],
            "decoded boxes (ymin, xmin, ymax, xmax) as fractions 0..1 of the 512x512 input, not clipped"),
        new("scores", [Batch, AnchorCount], "face score: sigmoid of class column 1; apply NMS (IoU 0.5) outside"),
    ];

    public override void Build(TfjsWeightMap weights, GraphBuilder graph)
    {
        var tf = new TfLayers(graph);
        string input = DeclareInput(graph);
        string normalized = graph.Sub(graph.Div(input, graph.Scalar("127.5", 127.5f)), graph.Scalar("1", 1f));
        var x = new FeatureMap(normalized, 3, InputSize, InputSize);

        // MobileNetV1: conv_0, then 13 depthwise/pointwise pairs; layers 2, 4, 6 and 12 stride 2.
        x = PointwiseConvLayer(tf, weights, x, "MobilenetV1/Conv2d_0_pointwise", stride: 2);
        FeatureMap? conv11 = null;
        for (int layer = 1; layer <= 13; layer++)
        {
            int stride = layer is 2 or 4 or 6 or 12 ? 2 : 1;
            x = DepthwiseConvLayer(tf, weights, x, $"MobilenetV1/Conv2d_{layer}_depthwise", stride);
            x = PointwiseConvLayer(tf, weights, x, $"MobilenetV1/Conv2d_{layer}_pointwise", stride: 1);
            if (layer == 11)
            {
                conv11 = x;
            }
        }

        // Prediction layer: extra feature maps, then a box predictor on six of them.
        var extra = new FeatureMap[8];
        FeatureMap previous = x;
        for (int i = 0; i < extra.Length; i++)
        {
            previous = extra[i] = PointwiseConvLayer(tf, weights, previous, $"Prediction/Conv2d_{i}_pointwise", stride: i % 2 == 1 ? 2 : 1);
        }

        FeatureMap[] predictorInputs = [conv11!.Value, x, extra[1], extra[3], extra[5], extra[7]];
        var boxEncodings = new string[predictorInputs.Length];
        var classPredictions = new string[predictorInputs.Length];
        for (int i = 0; i < predictorInputs.Length; i++)
        {
            string prefix = $"Prediction/BoxPredictor_{i}";
            boxEncodings[i] = tf.ReshapeNhwc(PredictorConv(tf, weights, predictorInputs[i], $"{prefix}/BoxEncodingPredictor"), 4);
            classPredictions[i] = tf.ReshapeNhwc(PredictorConv(tf, weights, predictorInputs[i], $"{prefix}/ClassPredictor"), 3);
        }

        string encodings = graph.Concat(1, boxEncodings);
        string classes = graph.Concat(1, classPredictions);

        DeclareOutput(graph, 0, DecodeBoxes(graph, encodings, weights.Get("Output/extra_dim", 1, AnchorCount, 4)));
        string faceLogits = graph.Slice(classes, starts: [1], ends: [2], axes: [2]);
        DeclareOutput(graph, 1, graph.Reshape(graph.Sigmoid(faceLogits), 0, AnchorCount));
    }

    // face-api's decodeBoxesLayer with anchors (ymin, xmin, ymax, xmax):
    //   centre = enc[0:2] / 10 * anchorSize + anchorCentre, half = exp(enc[2:4] / 5) * anchorSize / 2.
    // The anchor sizes and centres are computed here in float32, the same operations tfjs runs.
    private static string DecodeBoxes(GraphBuilder graph, string encodings, TfjsTensor anchors)
    {
        var sizes = new float[AnchorCount * 2];
        var centres = new float[AnchorCount * 2];
        for (int i = 0; i < AnchorCount; i++)
        {
            for (int axis = 0; axis < 2; axis++)
            {
                float min = anchors.Values[i * 4 + axis], max = anchors.Values[i * 4 + 2 + axis];
                float size = max - min;
                sizes[i * 2 + axis] = size;
                centres[i * 2 + axis] = min + size / 2f;
            }
        }

        string anchorSizes = graph.Initializer("anchor_sizes", sizes, 1, AnchorCount, 2);
        string anchorCentres = graph.Initializer("anchor_centres", centres, 1, AnchorCount, 2);

        string centreOffsets = graph.Slice(encodings, starts: [0], ends: [2], axes: [2]);
        string logSizes = graph.Slice(encodings, starts: [2], ends: [4], axes: [2]);
        string centre = graph.Add(graph.Mul(graph.Div(centreOffsets, graph.Scalar("10", 10f)), anchorSizes), anchorCentres);
        string half = graph.Div(
            graph.Mul(graph.Exp(graph.Div(logSizes, graph.Scalar("5", 5f))), anchorSizes),
            graph.Scalar("2", 2f));
        return graph.Concat(2, graph.Sub(centre, half), graph.Add(centre, half));
    }

    // conv 'same' + convolution_bn_offset, relu6 (face-api's pointwiseConvLayer; conv_0 and the extra layers use 3x3 kernels)
    private static FeatureMap PointwiseConvLayer(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride)
    {
        TfjsTensor filters = weights.Get($"{prefix}/weights", null, null, x.Channels, null);
        TfjsTensor offset = weights.Get($"{prefix}/convolution_bn_offset", filters.Shape[3]);
        return tf.Relu6(tf.Conv2D(x, filters, offset, stride, TfPadding.Same));
    }

    // depthwise 3x3 'same', batch norm, relu6
    private static FeatureMap DepthwiseConvLayer(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix, int stride)
    {
        int c = x.Channels;
        FeatureMap output = tf.DepthwiseConv2D(x, weights.Get($"{prefix}/depthwise_weights", 3, 3, c, 1), stride, TfPadding.Same);
        output = tf.BatchNorm(output,
            scale: weights.Get($"{prefix}/BatchNorm/gamma", c),
            offset: weights.Get($"{prefix}/BatchNorm/beta", c),
            mean: weights.Get($"{prefix}/BatchNorm/moving_mean", c),
            variance: weights.Get($"{prefix}/BatchNorm/moving_variance", c),
            BatchNormEpsilon);
        return tf.Relu6(output);
    }

    // 1x1 conv + bias, no activation (face-api's common convLayer)
    private static FeatureMap PredictorConv(TfLayers tf, TfjsWeightMap weights, FeatureMap x, string prefix)
    {
        TfjsTensor filters = weights.Get($"{prefix}/weights", 1, 1, x.Channels, null);
        return tf.Conv2D(x, filters, weights.Get($"{prefix}/biases", filters.Shape[3]), stride: 1, TfPadding.Same);
    }
}
