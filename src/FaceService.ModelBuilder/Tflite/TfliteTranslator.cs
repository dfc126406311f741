using FaceService.ModelBuilder.Onnx;

namespace FaceService.ModelBuilder.Tflite;

/// <summary>
/// Translates a float TFLite graph into ONNX nodes, operator by operator, on demand: asking for a tensor translates
/// the operators it depends on and nothing else. TFLite's 4-d activations are NHWC; their ONNX values are NCHW
/// (ONNX Runtime's native layout), so axes and per-channel constants are mapped accordingly and a flatten goes back to
/// NHWC order first. TensorFlow's PReLU, which the TFLite converter expands into relu(x) + alpha · −relu(−x), becomes
/// one PRelu node: the same arithmetic (alpha · x below zero, x above) without five full-size intermediate maps.
/// Spatial sizes stay dynamic: padding is auto_pad, reshapes keep the batch dimension.
/// </summary>
public sealed class TfliteTranslator
{
    private const byte NoActivation = 0;
    private const byte DefaultWeightsFormat = 0;

    private readonly TfliteGraph _tflite;
    private readonly GraphBuilder _graph;
    private readonly Dictionary<int, TfliteOperation> _producers = [];
    private readonly Dictionary<int, string> _values = [];

    public TfliteTranslator(TfliteGraph tflite, GraphBuilder graph)
    {
        _tflite = tflite;
        _graph = graph;
        foreach (TfliteOperation operation in tflite.Operations)
        {
            foreach (int output in operation.Outputs)
            {
                _producers.Add(output, operation);
            }
        }
    }

    /// <summary>Feeds the graph input <paramref name="tensorName"/> (NHWC in TFLite) from an ONNX value in NCHW order.</summary>
    public void BindInput(string tensorName, string nchwValue)
    {
        TfliteTensor tensor = _tflite.Tensor(tensorName);
        if (!_tflite.Inputs.Contains(tensor.Index))
        {
            throw new InvalidDataException($"'{tensorName}' is not an input of the TFLite graph.");
        }

        _values.Add(tensor.Index, nchwValue);
    }

    /// <summary>The ONNX value computing <paramref name="tensorName"/>; 4-d values are NCHW.</summary>
    public string ValueOf(string tensorName) => Value(_tflite.Tensor(tensorName).Index);

    private string Value(int tensor)
    {
        if (_values.TryGetValue(tensor, out string? value))
        {
            return value;
        }

        if (!_producers.TryGetValue(tensor, out TfliteOperation? operation))
        {
            throw new InvalidDataException(
                $"Tensor '{_tflite.Tensors[tensor].Name}' is neither computed nor bound: a graph input that was not bound, or a constant used as an activation.");
        }

        value = Translate(operation);
        _values.Add(tensor, value);
        return value;
    }

    private string Translate(TfliteOperation op)
    {
        if (op.Outputs.Length != 1)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: only single-output operators are supported.");
        }

        return (TfliteOperator)op.BuiltinCode switch
        {
            TfliteOperator.Conv2D => Conv2D(op),
            TfliteOperator.MaxPool2D => MaxPool2D(op),
            TfliteOperator.FullyConnected => FullyConnected(op),
            TfliteOperator.Add when TryMatchPrelu(op, out int x, out TfliteTensor? alpha) => Prelu(x, alpha),
            TfliteOperator.Add => Binary(op, _graph.Add),
            TfliteOperator.Sub => Binary(op, _graph.Sub),
            TfliteOperator.Mul => Binary(op, _graph.Mul),
            TfliteOperator.Div => Binary(op, _graph.Div),
            TfliteOperator.Relu => _graph.Relu(Value(op.Inputs[0])),
            TfliteOperator.Neg => _graph.Neg(Value(op.Inputs[0])),
            TfliteOperator.Exp => _graph.Exp(Value(op.Inputs[0])),
            TfliteOperator.ReduceMax => Reduce(op, _graph.ReduceMax),
            TfliteOperator.Sum => Reduce(op, _graph.ReduceSum),
            _ => throw new NotSupportedException($"{op.Describe(_tflite)} is not supported by the converter."),
        };
    }

    // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilation_w 4, dilation_h 5.
    private string Conv2D(TfliteOperation op)
    {
        FlatBufferTable options = RequireOptions(op);
        RequireNoActivation(op, options.Byte(3));
        if (options.Int32(4, 1) != 1 || options.Int32(5, 1) != 1)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: dilated convolutions are not supported.");
        }

        RequireRank(op, op.Inputs[0], 4);
        TfliteTensor filter = Constant(op, op.Inputs[1]);
        if (filter.Shape is not [int cout, int kh, int kw, int cin])
        {
            throw new InvalidDataException($"{op.Describe(_tflite)}: filter '{filter.Name}' is not OHWI.");
        }

        // OHWI → OIHW.
        var oihw = new float[filter.Data!.Length];
        for (int o = 0; o < cout; o++)
        {
            for (int h = 0; h < kh; h++)
            {
                for (int w = 0; w < kw; w++)
                {
                    for (int i = 0; i < cin; i++)
                    {
                        oihw[((o * cin + i) * kh + h) * kw + w] = filter.Data[((o * kh + h) * kw + w) * cin + i];
                    }
                }
            }
        }

        string weights = _graph.Initializer(Hint(filter), oihw, cout, cin, kh, kw);
        string? bias = op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? Vector(op, op.Inputs[2], cout) : null;
        return _graph.Conv(Value(op.Inputs[0]), weights, bias, [kh, kw], [options.Int32(2), options.Int32(1)], AutoPad(options.Byte(0)));
    }

    // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, fused_activation_function 5.
    private string MaxPool2D(TfliteOperation op)
    {
        FlatBufferTable options = RequireOptions(op);
        RequireNoActivation(op, options.Byte(5));
        RequireRank(op, op.Inputs[0], 4);
        return _graph.MaxPool(Value(op.Inputs[0]), [options.Int32(4), options.Int32(3)], [options.Int32(2), options.Int32(1)],
            AutoPad(options.Byte(0)));
    }

    // FullyConnectedOptions: fused_activation_function 0, weights_format 1, keep_num_dims 2.
    // y = x · Wᵀ + b with W as [out, in]; a 4-d input is flattened in TFLite's (NHWC) order first.
    private string FullyConnected(TfliteOperation op)
    {
        FlatBufferTable options = RequireOptions(op);
        RequireNoActivation(op, options.Byte(0));
        if (options.Byte(1) != DefaultWeightsFormat || options.Byte(2) != 0)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: only default weights without keep_num_dims are supported.");
        }

        TfliteTensor weights = Constant(op, op.Inputs[1]);
        if (weights.Shape is not [int outputs, int inputs])
        {
            throw new InvalidDataException($"{op.Describe(_tflite)}: weights '{weights.Name}' are not [out, in].");
        }

        var transposed = new float[weights.Data!.Length];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                transposed[i * outputs + o] = weights.Data[o * inputs + i];
            }
        }

        string x = Value(op.Inputs[0]);
        if (Rank(op.Inputs[0]) == 4)
        {
            x = _graph.Reshape(_graph.Transpose(x, 0, 2, 3, 1), 0, -1);
        }

        string product = _graph.MatMul(x, _graph.Initializer(Hint(weights), transposed, inputs, outputs));
        return op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? _graph.Add(product, Vector(op, op.Inputs[2], outputs)) : product;
    }

    // Add/Sub/Mul/DivOptions all start with fused_activation_function.
    private string Binary(TfliteOperation op, Func<string, string, string> onnx)
    {
        if (op.Options is { } options)
        {
            RequireNoActivation(op, options.Byte(0));
        }

        int a = op.Inputs[0], b = op.Inputs[1];
        return onnx(Operand(op, a, partner: b), Operand(op, b, partner: a));
    }

    /// <summary>An activation as it is; a constant as a scalar, or per channel shaped to broadcast over its partner.</summary>
    private string Operand(TfliteOperation op, int tensor, int partner)
    {
        TfliteTensor t = _tflite.Tensors[tensor];
        if (t.Data is null)
        {
            return Value(tensor);
        }

        return t.Shape switch
        {
            [] or [1] => _graph.Initializer(Hint(t), t.Data, []),
            [int channels] when Rank(partner) == 4 => _graph.Initializer(Hint(t), t.Data, channels, 1, 1),
            [int channels] => _graph.Initializer(Hint(t), t.Data, channels),
            _ => throw new NotSupportedException($"{op.Describe(_tflite)}: constant operand '{t.Name}' of shape [{string.Join(",", t.Shape)}]."),
        };
    }

    // ReducerOptions: keep_dims 0. The axes come as an int32 constant input.
    private string Reduce(TfliteOperation op, Func<string, long[], bool, string> onnx)
    {
        TfliteTensor axes = _tflite.Tensors[op.Inputs[1]];
        if (axes.Int32Data is null)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: the axes must be an int32 constant.");
        }

        int rank = Rank(op.Inputs[0]);
        long[] onnxAxes = axes.Int32Data.Select(axis => (long)OnnxAxis(axis < 0 ? axis + rank : axis, rank)).ToArray();
        bool keepDims = op.Options is { } options && options.Byte(0) != 0;
        return onnx(Value(op.Inputs[0]), onnxAxes, keepDims);
    }

    /// <summary>An NHWC axis of a 4-d tensor in its NCHW value (other ranks keep their axes).</summary>
    private static int OnnxAxis(int axis, int rank) => rank == 4 ? axis switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 } : axis;

    /// <summary>TF's PReLU after the TFLite converter: Add(Relu(x), Mul(alpha, Neg(Relu(Neg(x))))), in either operand order.</summary>
    private bool TryMatchPrelu(TfliteOperation add, out int x, out TfliteTensor? alpha)
    {
        foreach ((int positive, int negative) in new[] { (add.Inputs[0], add.Inputs[1]), (add.Inputs[1], add.Inputs[0]) })
        {
            if (Producer(positive, TfliteOperator.Relu) is not { } relu || Producer(negative, TfliteOperator.Mul) is not { } mul)
            {
                continue;
            }

            x = relu.Inputs[0];
            foreach ((int slope, int scaled) in new[] { (mul.Inputs[0], mul.Inputs[1]), (mul.Inputs[1], mul.Inputs[0]) })
            {
                if (_tflite.Tensors[slope] is { Data: not null, Shape.Length: 1 } constant
                    && Producer(scaled, TfliteOperator.Neg) is { } outerNeg
                    && Producer(outerNeg.Inputs[0], TfliteOperator.Relu) is { } innerRelu
                    && Producer(innerRelu.Inputs[0], TfliteOperator.Neg) is { } innerNeg
                    && innerNeg.Inputs[0] == x)
                {
                    alpha = constant;
                    return true;
                }
            }
        }

        x = -1;
        alpha = null;
        return false;
    }

    private string Prelu(int x, TfliteTensor? alpha)
    {
        int channels = alpha!.Shape[0];
        string slope = Rank(x) == 4
            ? _graph.Initializer(Hint(alpha), alpha.Data, channels, 1, 1)
            : _graph.Initializer(Hint(alpha), alpha.Data, channels);
        return _graph.PRelu(Value(x), slope);
    }

    private TfliteOperation? Producer(int tensor, TfliteOperator code) =>
        _producers.TryGetValue(tensor, out TfliteOperation? op) && op.BuiltinCode == (int)code ? op : null;

    private int Rank(int tensor) => _tflite.Tensors[tensor].Shape.Length;

    private TfliteTensor Constant(TfliteOperation op, int tensor) =>
        _tflite.Tensors[tensor] is { Data: not null } constant
            ? constant
            : throw new NotSupportedException($"{op.Describe(_tflite)}: '{_tflite.Tensors[tensor].Name}' must be a float32 constant.");

    private string Vector(TfliteOperation op, int tensor, int length)
    {
        TfliteTensor t = Constant(op, tensor);
        return t.Shape is [var n] && n == length
            ? _graph.Initializer(Hint(t), t.Data, length)
            : throw new InvalidDataException($"{op.Describe(_tflite)}: '{t.Name}' has shape [{string.Join(",", t.Shape)}], expected [{length}].");
    }

    private FlatBufferTable RequireOptions(TfliteOperation op) =>
        op.Options ?? throw new InvalidDataException($"{op.Describe(_tflite)} has no options.");

    private void RequireNoActivation(TfliteOperation op, byte activation)
    {
        if (activation != NoActivation)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: fused activation {activation} is not supported.");
        }
    }

    private void RequireRank(TfliteOperation op, int tensor, int rank)
    {
        if (Rank(tensor) != rank)
        {
            throw new NotSupportedException($"{op.Describe(_tflite)}: input '{_tflite.Tensors[tensor].Name}' must have rank {rank}.");
        }
    }

    private static string AutoPad(byte padding) => (TflitePadding)padding switch
    {
        TflitePadding.Same => "SAME_UPPER",
        TflitePadding.Valid => "VALID",
        _ => throw new InvalidDataException($"Unknown TFLite padding {padding}."),
    };

    private static string Hint(TfliteTensor t) => t.Name.Replace('/', '.');
}
