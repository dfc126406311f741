namespace FaceService.ModelBuilder.Onnx;

/// <summary>
/// Builds an ONNX graph node by node. Every method returns the name of the value it produces, so network
/// definitions read like the TensorFlow.js code they mirror. Value names are generated and unique.
/// </summary>
public sealed class GraphBuilder(string graphName)
{
    public const long IrVersion = 8;
    public const long OpsetVersion = 17;

    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly List<OnnxValueInfo> _inputs = [];
    private readonly List<OnnxValueInfo> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public string Input(string name, params OnnxDim[] shape)
    {
        Reserve(name);
        _inputs.Add(new OnnxValueInfo(name, OnnxDataType.Float, shape));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/>.</summary>
    public void Output(string value, string name, params OnnxDim[] shape)
    {
        if (value != name)
        {
            Reserve(name);
            _nodes.Add(new OnnxNode(name, "Identity", [value], [name], []));
        }

        _outputs.Add(new OnnxValueInfo(name, OnnxDataType.Float, shape));
    }

    public string Initializer(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        string name = UniqueName(hint);
        _initializers.Add(OnnxTensor.FromFloats(name, values, dims));
        return name;
    }

    public string Int64Initializer(string hint, params long[] values)
    {
        string name = UniqueName(hint);
        _initializers.Add(OnnxTensor.FromInt64s(name, values, values.Length));
        return name;
    }

    public string Scalar(string hint, float value) => Initializer(hint, [value]);

    /// <summary>An initializer of any element type (int8 weights, int32 biases, uint8 zero points).</summary>
    public string Initializer(string hint, Func<string, OnnxTensor> tensor)
    {
        string name = UniqueName(hint);
        _initializers.Add(tensor(name));
        return name;
    }

    /// <summary>
    /// QuantizeLinear then DequantizeLinear of an activation with one scale and a uint8 zero point: the value as the
    /// int8 graph carries it, which ONNX Runtime's QDQ fusions turn into quantized kernels.
    /// </summary>
    public string QuantizeDequantize(string x, float scale, byte zeroPoint)
    {
        string scaleName = Scalar("q_scale", scale);
        string zeroPointName = Initializer("q_zero_point", name => OnnxTensor.FromUInt8s(name, [zeroPoint]));
        string quantized = Node("QuantizeLinear", [x, scaleName, zeroPointName]);
        return Node("DequantizeLinear", [quantized, scaleName, zeroPointName]);
    }

    /// <summary>DequantizeLinear of a quantized initializer with one scale per slice along <paramref name="axis"/> (zero points 0).</summary>
    public string DequantizePerAxis(string quantized, float[] scales, OnnxDataType zeroPointType, int axis)
    {
        string scaleName = Initializer("dq_scale", scales, scales.Length);
        string zeroPointName = Initializer("dq_zero_point", name => zeroPointType switch
        {
            OnnxDataType.Int8 => OnnxTensor.FromInt8s(name, new sbyte[scales.Length], scales.Length),
            OnnxDataType.Int32 => OnnxTensor.FromInt32s(name, new int[scales.Length], scales.Length),
            _ => throw new ArgumentOutOfRangeException(nameof(zeroPointType), zeroPointType, null),
        });
        return Node("DequantizeLinear", [quantized, scaleName, zeroPointName], OnnxAttribute.Int("axis", axis));
    }

    /// <summary>Adds a node with one output and returns that output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        string output = UniqueName(opType);
        _nodes.Add(new OnnxNode(output, opType, inputs, [output], attributes));
        return output;
    }

    public string Conv(string x, string weights, string? bias, int[] kernel, int[] strides, int[] pads, int group = 1) =>
        Node("Conv", bias is null ? [x, weights] : [x, weights, bias],
            OnnxAttribute.Ints("kernel_shape", Longs(kernel)),
            OnnxAttribute.Ints("strides", Longs(strides)),
            OnnxAttribute.Ints("pads", Longs(pads)),
            OnnxAttribute.Ints("dilations", 1, 1),
            OnnxAttribute.Int("group", group));

    /// <summary>
    /// Conv whose padding ONNX Runtime works out per run from the input size: "VALID", or "SAME_UPPER", which is
    /// TensorFlow's 'same' (the odd pixel of padding goes after). For graphs whose spatial size is dynamic.
    /// </summary>
    public string Conv(string x, string weights, string? bias, int[] kernel, int[] strides, string autoPad) =>
        Node("Conv", bias is null ? [x, weights] : [x, weights, bias],
            OnnxAttribute.Ints("kernel_shape", Longs(kernel)),
            OnnxAttribute.Ints("strides", Longs(strides)),
            OnnxAttribute.String("auto_pad", autoPad),
            OnnxAttribute.Ints("dilations", 1, 1));

    /// <summary>MaxPool with auto_pad ("VALID" or "SAME_UPPER", see the Conv overload); padding never wins the max.</summary>
    public string MaxPool(string x, int[] kernel, int[] strides, string autoPad) =>
        Node("MaxPool", [x],
            OnnxAttribute.Ints("kernel_shape", Longs(kernel)),
            OnnxAttribute.Ints("strides", Longs(strides)),
            OnnxAttribute.String("auto_pad", autoPad));

    public string Add(string a, string b) => Node("Add", [a, b]);
    public string Sub(string a, string b) => Node("Sub", [a, b]);
    public string Mul(string a, string b) => Node("Mul", [a, b]);
    public string Div(string a, string b) => Node("Div", [a, b]);
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);
    public string Relu(string x) => Node("Relu", [x]);
    public string Sigmoid(string x) => Node("Sigmoid", [x]);
    public string Exp(string x) => Node("Exp", [x]);
    public string Neg(string x) => Node("Neg", [x]);

    /// <summary>x where x ≥ 0, slope · x below; the slope broadcasts over x (one value per channel: [C,1,1] for NCHW).</summary>
    public string PRelu(string x, string slope) => Node("PRelu", [x, slope]);

    public string Clip(string x, float min, float max) =>
        Node("Clip", [x, Scalar("clip_min", min), Scalar("clip_max", max)]);

    /// <summary>MaxPool without padding (TF 'valid').</summary>
    public string MaxPool(string x, int kernel, int stride) =>
        Node("MaxPool", [x],
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("strides", stride, stride));

    /// <summary>AveragePool without padding (TF 'valid').</summary>
    public string AveragePool(string x, int kernel, int stride) =>
        Node("AveragePool", [x],
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("strides", stride, stride));

    public string BatchNormalization(string x, string scale, string offset, string mean, string variance, float epsilon) =>
        Node("BatchNormalization", [x, scale, offset, mean, variance], OnnxAttribute.Float("epsilon", epsilon));

    public string Concat(int axis, params string[] values) => Node("Concat", values, OnnxAttribute.Int("axis", axis));

    /// <summary>Constant zero padding; <paramref name="pads"/> is ONNX order (all begins, then all ends).</summary>
    public string Pad(string x, params long[] pads) => Node("Pad", [x, Int64Initializer("pads", pads)]);

    public string ReduceMean(string x, long[] axes, bool keepDims) =>
        Node("ReduceMean", [x], OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    public string ReduceMax(string x, long[] axes, bool keepDims) =>
        Node("ReduceMax", [x], OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>ReduceSum takes its axes as an input from opset 13 on (the other reductions follow in opset 18).</summary>
    public string ReduceSum(string x, long[] axes, bool keepDims) =>
        Node("ReduceSum", [x, Int64Initializer("axes", axes)], OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Reshape; 0 copies the input dimension (used for the dynamic batch) and -1 is inferred.</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64Initializer("shape", shape)]);

    public string Flatten(string x, int axis) => Node("Flatten", [x], OnnxAttribute.Int("axis", axis));

    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], OnnxAttribute.Ints("perm", perm));

    public string Slice(string x, long[] starts, long[] ends, long[] axes) =>
        Node("Slice", [x, Int64Initializer("starts", starts), Int64Initializer("ends", ends), Int64Initializer("axes", axes)]);

    public OnnxGraph ToGraph() => new(graphName, _nodes.ToArray(), _initializers.ToArray(), _inputs.ToArray(), _outputs.ToArray());

    public OnnxModel ToModel(string producerName, string producerVersion, string docString,
        IReadOnlyList<KeyValuePair<string, string>> metadata) =>
        new(ToGraph(), IrVersion, OpsetVersion, producerName, producerVersion, docString, metadata);

    private string UniqueName(string hint)
    {
        string name;
        do
        {
            name = $"{hint}_{_counter++}";
        }
        while (_names.Contains(name));

        Reserve(name);
        return name;
    }

    private void Reserve(string name)
    {
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"Graph value name '{name}' is already used.");
        }
    }

    private static long[] Longs(int[] values) => Array.ConvertAll(values, v => (long)v);
}
