using System.Buffers.Binary;

namespace FaceService.ModelBuilder.Tflite;

/// <summary>The TFLite builtin operators the converter knows (values of schema.fbs's BuiltinOperator).</summary>
public enum TfliteOperator
{
    Add = 0,
    Conv2D = 3,
    FullyConnected = 9,
    MaxPool2D = 17,
    Mul = 18,
    Relu = 19,
    Sub = 41,
    Div = 42,
    Exp = 47,
    Neg = 59,
    Sum = 74,
    ReduceMax = 82,
}

/// <summary>schema.fbs's Padding.</summary>
public enum TflitePadding
{
    Same = 0,
    Valid = 1,
}

/// <summary>A tensor of the graph: a constant when it has data, otherwise an activation.</summary>
public sealed record TfliteTensor(int Index, string Name, int[] Shape, float[]? Data, int[]? Int32Data);

/// <summary>One operator: its builtin code, its tensors and its options table (absent when the op has none).</summary>
public sealed record TfliteOperation(int BuiltinCode, int[] Inputs, int[] Outputs, FlatBufferTable? Options)
{
    public string Describe(TfliteGraph graph) =>
        $"operator {BuiltinCode} ({(Enum.IsDefined(typeof(TfliteOperator), BuiltinCode) ? (TfliteOperator)BuiltinCode : "unsupported")}) " +
        $"with outputs {string.Join(", ", Outputs.Select(o => graph.Tensors[o].Name))}";
}

/// <summary>
/// The first subgraph of a .tflite file (TensorFlow Lite's FlatBuffers schema, tensorflow/lite/schema/schema.fbs),
/// read with <see cref="FlatBufferTable"/>: tensors with their constant data, operators in execution order, graph
/// inputs and outputs. Only float32 tensors (and int32 constants, such as reduction axes) are accepted, so a
/// quantized model is refused by its tensor types.
/// </summary>
public sealed class TfliteGraph
{
    // Field slots of the schema tables read here.
    private const int ModelVersion = 0, ModelOperatorCodes = 1, ModelSubgraphs = 2, ModelBuffers = 4;
    private const int CodeDeprecatedBuiltin = 0, CodeBuiltin = 3;
    private const int SubgraphTensors = 0, SubgraphInputs = 1, SubgraphOutputs = 2, SubgraphOperators = 3;
    private const int TensorShape = 0, TensorType = 1, TensorBuffer = 2, TensorName = 3;
    private const int OperatorOpcode = 0, OperatorInputs = 1, OperatorOutputs = 2, OperatorOptions = 4;
    private const int BufferData = 0, BufferOffset = 1;
    private const byte Float32 = 0, Int32 = 2;

    private TfliteGraph(IReadOnlyList<TfliteTensor> tensors, IReadOnlyList<TfliteOperation> operations, int[] inputs, int[] outputs)
    {
        Tensors = tensors;
        Operations = operations;
        Inputs = inputs;
        Outputs = outputs;
    }

    public IReadOnlyList<TfliteTensor> Tensors { get; }

    /// <summary>In the order the interpreter runs them.</summary>
    public IReadOnlyList<TfliteOperation> Operations { get; }

    public int[] Inputs { get; }

    public int[] Outputs { get; }

    public TfliteTensor Tensor(string name) =>
        Tensors.SingleOrDefault(t => t.Name == name) ?? throw new InvalidDataException($"The TFLite graph has no tensor '{name}'.");

    public static TfliteGraph Read(string path)
    {
        try
        {
            return Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static TfliteGraph Read(byte[] bytes)
    {
        FlatBufferTable model = FlatBufferTable.Root(bytes, "TFL3");
        uint version = model.UInt32(ModelVersion);
        if (version != 3)
        {
            throw new InvalidDataException($"TFLite schema version {version}; version 3 is supported.");
        }

        // A builtin code above 127 lives only in the int32 field; older writers fill only the deprecated int8 one.
        int[] codes = model.Tables(ModelOperatorCodes)
            .Select(c => Math.Max(c.SByte(CodeDeprecatedBuiltin), c.Int32(CodeBuiltin)))
            .ToArray();
        FlatBufferTable[] buffers = model.Tables(ModelBuffers);
        FlatBufferTable[] subgraphs = model.Tables(ModelSubgraphs);
        if (subgraphs.Length != 1)
        {
            throw new InvalidDataException($"Expected one subgraph, found {subgraphs.Length}.");
        }

        FlatBufferTable subgraph = subgraphs[0];
        TfliteTensor[] tensors = subgraph.Tables(SubgraphTensors).Select((t, i) => ReadTensor(t, i, buffers)).ToArray();
        TfliteOperation[] operations = subgraph.Tables(SubgraphOperators)
            .Select(op => new TfliteOperation(
                codes[op.UInt32(OperatorOpcode)],
                op.Int32s(OperatorInputs),
                op.Int32s(OperatorOutputs),
                op.Table(OperatorOptions)))
            .ToArray();
        return new TfliteGraph(tensors, operations, subgraph.Int32s(SubgraphInputs), subgraph.Int32s(SubgraphOutputs));
    }

    private static TfliteTensor ReadTensor(FlatBufferTable tensor, int index, FlatBufferTable[] buffers)
    {
        string name = tensor.String(TensorName) ?? $"tensor {index}";
        byte type = tensor.Byte(TensorType);
        int[] shape = tensor.Int32s(TensorShape);
        FlatBufferTable buffer = buffers[tensor.UInt32(TensorBuffer)];
        if (buffer.Has(BufferOffset))
        {
            throw new InvalidDataException($"Tensor '{name}' keeps its data outside the FlatBuffer (models over 2 GB); not supported.");
        }

        ReadOnlySpan<byte> data = buffer.Bytes(BufferData).Span;
        if (data.IsEmpty)
        {
            return type == Float32
                ? new TfliteTensor(index, name, shape, null, null)
                : throw new InvalidDataException($"Activation tensor '{name}' has type {type}; only float32 is supported.");
        }

        long count = shape.Aggregate(1L, (product, dim) => product * dim);
        if (data.Length != count * 4)
        {
            throw new InvalidDataException($"Constant '{name}' has {data.Length} bytes for shape [{string.Join(",", shape)}].");
        }

        switch (type)
        {
            case Float32:
                var floats = new float[count];
                for (int i = 0; i < floats.Length; i++)
                {
                    floats[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                }

                return new TfliteTensor(index, name, shape, floats, null);
            case Int32:
                var ints = new int[count];
                for (int i = 0; i < ints.Length; i++)
                {
                    ints[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]);
                }

                return new TfliteTensor(index, name, shape, null, ints);
            default:
                throw new InvalidDataException($"Constant '{name}' has type {type}; only float32 and int32 are supported.");
        }
    }
}
