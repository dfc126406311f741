using System.Runtime.InteropServices;
using Google.Protobuf;

namespace FaceService.ModelBuilder.Onnx;

// A hand-written subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto), enough to write
// inference graphs with initializers. Field numbers below are those of onnx.proto; onnx.proto is proto2, so repeated
// scalars (dims, ints) are written unpacked, which every protobuf parser accepts.

/// <summary>A message that can serialise itself with protobuf wire encoding.</summary>
public abstract class ProtoMessage
{
    public abstract void WriteTo(CodedOutputStream output);

    public byte[] ToByteArray()
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            WriteTo(output);
        }

        return stream.ToArray();
    }

    protected static void WriteMessage(CodedOutputStream output, int fieldNumber, ProtoMessage message)
    {
        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(message.ToByteArray()));
    }

    protected static void WriteString(CodedOutputStream output, int fieldNumber, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    protected static void WriteInt64(CodedOutputStream output, int fieldNumber, long value)
    {
        output.WriteTag(fieldNumber, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }
}

/// <summary>onnx.TensorProto.DataType values used here.</summary>
public enum OnnxDataType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
}

/// <summary>onnx.TensorProto with its payload in raw_data (little-endian).</summary>
public sealed class OnnxTensor : ProtoMessage
{
    public OnnxTensor(string name, OnnxDataType dataType, IReadOnlyList<long> dims, byte[] rawData)
    {
        long count = dims.Aggregate(1L, (product, dim) => product * dim);
        if (rawData.Length != count * ElementSize(dataType))
        {
            throw new ArgumentException(
                $"Tensor '{name}': {rawData.Length} bytes do not match shape [{string.Join(",", dims)}] of {dataType}.",
                nameof(rawData));
        }

        Name = name;
        DataType = dataType;
        Dims = dims;
        RawData = rawData;
    }

    public string Name { get; }
    public OnnxDataType DataType { get; }
    public IReadOnlyList<long> Dims { get; }
    public byte[] RawData { get; }

    public static OnnxTensor FromFloats(string name, ReadOnlySpan<float> values, params long[] dims) =>
        new(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(values).ToArray());

    public static OnnxTensor FromInt64s(string name, ReadOnlySpan<long> values, params long[] dims) =>
        new(name, OnnxDataType.Int64, dims, MemoryMarshal.AsBytes(values).ToArray());

    public static OnnxTensor FromInt32s(string name, ReadOnlySpan<int> values, params long[] dims) =>
        new(name, OnnxDataType.Int32, dims, MemoryMarshal.AsBytes(values).ToArray());

    public static OnnxTensor FromInt8s(string name, ReadOnlySpan<sbyte> values, params long[] dims) =>
        new(name, OnnxDataType.Int8, dims, MemoryMarshal.AsBytes(values).ToArray());

    public static OnnxTensor FromUInt8s(string name, ReadOnlySpan<byte> values, params long[] dims) =>
        new(name, OnnxDataType.UInt8, dims, values.ToArray());

    public static int ElementSize(OnnxDataType dataType) => dataType switch
    {
        OnnxDataType.Float => 4,
        OnnxDataType.UInt8 => 1,
        OnnxDataType.Int8 => 1,
        OnnxDataType.Int32 => 4,
        OnnxDataType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dataType), dataType, null),
    };

    public override void WriteTo(CodedOutputStream output)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this writer assumes a little-endian host.");
        }

        foreach (long dim in Dims)
        {
            WriteInt64(output, 1, dim);
        }

        output.WriteTag(2, WireFormat.WireType.Varint);
        output.WriteInt32((int)DataType);
        WriteString(output, 8, Name);
        output.WriteTag(9, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(RawData));
    }
}

/// <summary>One dimension of a tensor type: a fixed size or a symbolic name such as "N".</summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    public static OnnxDim Fixed(long value) => new(value, null);
    public static OnnxDim Named(string symbol) => new(null, symbol);
    public static implicit operator OnnxDim(int value) => Fixed(value);
    public override string ToString() => Symbol ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>onnx.ValueInfoProto of a tensor type (TypeProto.Tensor with a TensorShapeProto).</summary>
public sealed class OnnxValueInfo(string name, OnnxDataType elementType, IReadOnlyList<OnnxDim> shape) : ProtoMessage
{
    public string Name { get; } = name;
    public OnnxDataType ElementType { get; } = elementType;
    public IReadOnlyList<OnnxDim> Shape { get; } = shape;

    public override void WriteTo(CodedOutputStream output)
    {
        WriteString(output, 1, Name);
        WriteMessage(output, 2, new TypeMessage(this));
    }

    // TypeProto { Tensor tensor_type = 1 }
    private sealed class TypeMessage(OnnxValueInfo info) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output) => WriteMessage(output, 1, new TensorTypeMessage(info));
    }

    // TypeProto.Tensor { int32 elem_type = 1; TensorShapeProto shape = 2 }
    private sealed class TensorTypeMessage(OnnxValueInfo info) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output)
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteInt32((int)info.ElementType);
            WriteMessage(output, 2, new ShapeMessage(info.Shape));
        }
    }

    // TensorShapeProto { repeated Dimension dim = 1 }
    private sealed class ShapeMessage(IReadOnlyList<OnnxDim> shape) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output)
        {
            foreach (OnnxDim dim in shape)
            {
                WriteMessage(output, 1, new DimensionMessage(dim));
            }
        }
    }

    // Dimension { int64 dim_value = 1; string dim_param = 2 }
    private sealed class DimensionMessage(OnnxDim dim) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output)
        {
            if (dim.Value is long value)
            {
                WriteInt64(output, 1, value);
            }
            else
            {
                WriteString(output, 2, dim.Symbol);
            }
        }
    }
}

/// <summary>onnx.AttributeProto for the attribute kinds used by the networks here.</summary>
public sealed class OnnxAttribute : ProtoMessage
{
    // AttributeProto.AttributeType
    private const int TypeFloat = 1;
    private const int TypeInt = 2;
    private const int TypeString = 3;
    private const int TypeInts = 7;

    private readonly int _type;
    private readonly float _float;
    private readonly long _int;
    private readonly string? _string;
    private readonly IReadOnlyList<long>? _ints;

    private OnnxAttribute(string name, int type, float f = 0, long i = 0, string? s = null, IReadOnlyList<long>? ints = null)
    {
        Name = name;
        _type = type;
        _float = f;
        _int = i;
        _string = s;
        _ints = ints;
    }

    public string Name { get; }

    public static OnnxAttribute Float(string name, float value) => new(name, TypeFloat, f: value);
    public static OnnxAttribute Int(string name, long value) => new(name, TypeInt, i: value);
    public static OnnxAttribute String(string name, string value) => new(name, TypeString, s: value);
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, TypeInts, ints: values);

    public override void WriteTo(CodedOutputStream output)
    {
        WriteString(output, 1, Name);
        switch (_type)
        {
            case TypeFloat:
                output.WriteTag(2, WireFormat.WireType.Fixed32);
                output.WriteFloat(_float);
                break;
            case TypeInt:
                WriteInt64(output, 3, _int);
                break;
            case TypeString:
                output.WriteTag(4, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFromUtf8(_string!));
                break;
            case TypeInts:
                foreach (long value in _ints!)
                {
                    WriteInt64(output, 8, value);
                }

                break;
        }

        output.WriteTag(20, WireFormat.WireType.Varint);
        output.WriteInt32(_type);
    }
}

/// <summary>onnx.NodeProto in the default (ai.onnx) domain.</summary>
public sealed class OnnxNode(
    string name, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
    IReadOnlyList<OnnxAttribute> attributes) : ProtoMessage
{
    public string Name { get; } = name;
    public string OpType { get; } = opType;
    public IReadOnlyList<string> Inputs { get; } = inputs;
    public IReadOnlyList<string> Outputs { get; } = outputs;
    public IReadOnlyList<OnnxAttribute> Attributes { get; } = attributes;

    public override void WriteTo(CodedOutputStream output)
    {
        foreach (string input in Inputs)
        {
            // An empty name marks an omitted optional input; it must still be written to keep positions.
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(input);
        }

        foreach (string value in Outputs)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
        }

        WriteString(output, 3, Name);
        WriteString(output, 4, OpType);
        foreach (OnnxAttribute attribute in Attributes)
        {
            WriteMessage(output, 5, attribute);
        }
    }
}

/// <summary>onnx.GraphProto.</summary>
public sealed class OnnxGraph(
    string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyList<OnnxTensor> initializers,
    IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs) : ProtoMessage
{
    public string Name { get; } = name;
    public IReadOnlyList<OnnxNode> Nodes { get; } = nodes;
    public IReadOnlyList<OnnxTensor> Initializers { get; } = initializers;
    public IReadOnlyList<OnnxValueInfo> Inputs { get; } = inputs;
    public IReadOnlyList<OnnxValueInfo> Outputs { get; } = outputs;

    public override void WriteTo(CodedOutputStream output)
    {
        foreach (OnnxNode node in Nodes)
        {
            WriteMessage(output, 1, node);
        }

        WriteString(output, 2, Name);
        foreach (OnnxTensor initializer in Initializers)
        {
            WriteMessage(output, 5, initializer);
        }

        foreach (OnnxValueInfo input in Inputs)
        {
            WriteMessage(output, 11, input);
        }

        foreach (OnnxValueInfo value in Outputs)
        {
            WriteMessage(output, 12, value);
        }
    }
}

/// <summary>onnx.ModelProto with a single default-domain opset import.</summary>
public sealed class OnnxModel(
    OnnxGraph graph, long irVersion, long opsetVersion, string producerName, string producerVersion,
    string docString, IReadOnlyList<KeyValuePair<string, string>> metadata) : ProtoMessage
{
    public OnnxGraph Graph { get; } = graph;
    public long IrVersion { get; } = irVersion;
    public long OpsetVersion { get; } = opsetVersion;
    public string ProducerName { get; } = producerName;
    public string ProducerVersion { get; } = producerVersion;
    public string DocString { get; } = docString;
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; } = metadata;

    public override void WriteTo(CodedOutputStream output)
    {
        WriteInt64(output, 1, IrVersion);
        WriteString(output, 2, ProducerName);
        WriteString(output, 3, ProducerVersion);
        WriteString(output, 6, DocString);
        WriteMessage(output, 7, Graph);
        WriteMessage(output, 8, new OperatorSetId(OpsetVersion));
        foreach (KeyValuePair<string, string> entry in Metadata)
        {
            WriteMessage(output, 14, new StringEntry(entry.Key, entry.Value));
        }
    }

    // OperatorSetIdProto { string domain = 1; int64 version = 2 }; an empty domain is ai.onnx.
    private sealed class OperatorSetId(long version) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output) => WriteInt64(output, 2, version);
    }

    // StringStringEntryProto { string key = 1; string value = 2 }
    private sealed class StringEntry(string key, string value) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream output)
        {
            WriteString(output, 1, key);
            WriteString(output, 2, value);
        }
    }
}
