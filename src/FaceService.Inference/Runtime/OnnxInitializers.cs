using System.Buffers.Binary;
using Google.Protobuf;

namespace FaceService.Inference.Runtime;

/// <summary>A float32 constant of an ONNX graph: its dimensions and values.</summary>
public sealed record OnnxInitializer(long[] Dims, float[] Values);

/// <summary>
/// Reads the float32 initializers (the weights) of an ONNX model file from its protobuf encoding: ModelProto field 7
/// (graph) → GraphProto field 5 (initializer) → TensorProto dims (1), data_type (2), float_data (4), name (8), raw_data
/// (9, little-endian). For code that runs a small net's arithmetic itself; the session still runs everything else.
/// </summary>
public static class OnnxInitializers
{
    private const int GraphField = 7, InitializerField = 5;
    private const int DimsField = 1, DataTypeField = 2, FloatDataField = 4, NameField = 8, RawDataField = 9;
    private const int FloatDataType = 1;

    public static IReadOnlyDictionary<string, OnnxInitializer> Read(string modelPath)
    {
        var result = new Dictionary<string, OnnxInitializer>(StringComparer.Ordinal);
        foreach (var graph in Messages(ByteString.CopyFrom(File.ReadAllBytes(modelPath)), GraphField))
        foreach (var tensor in Messages(graph, InitializerField))
            if (ReadTensor(tensor) is { } named) result[named.Name] = named.Initializer;
        return result;
    }

    /// <summary>The one initializer whose name starts with <paramref name="prefix"/> (converters append a numeric suffix).</summary>
    public static OnnxInitializer Named(this IReadOnlyDictionary<string, OnnxInitializer> initializers, string prefix, string modelPath) =>
        initializers.Where(w => w.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(w => w.Value).SingleOrDefault()
        ?? throw new InvalidDataException($"{modelPath}: no single initializer named {prefix}*; not the model models/build.sh writes.");

    /// <summary>The embedded messages of field <paramref name="field"/> of a message; other fields skipped.</summary>
    private static List<ByteString> Messages(ByteString message, int field)
    {
        var input = message.CreateCodedInput();
        var found = new List<ByteString>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                found.Add(input.ReadBytes());
            else
                input.SkipLastField();
        }
        return found;
    }

    private static (string Name, OnnxInitializer Initializer)? ReadTensor(ByteString tensor)
    {
        var input = tensor.CreateCodedInput();
        var dims = new List<long>();
        var floats = new List<float>();
        ByteString? raw = null;
        string name = "";
        var dataType = 0;
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var packed = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case DimsField when packed:
                    for (var packedDims = input.ReadBytes().CreateCodedInput(); !packedDims.IsAtEnd;) dims.Add(packedDims.ReadInt64());
                    break;
                case DimsField: dims.Add(input.ReadInt64()); break;
                case DataTypeField: dataType = input.ReadInt32(); break;
                case FloatDataField when packed:
                    for (var packedFloats = input.ReadBytes().CreateCodedInput(); !packedFloats.IsAtEnd;) floats.Add(packedFloats.ReadFloat());
                    break;
                case FloatDataField: floats.Add(input.ReadFloat()); break;
                case NameField: name = input.ReadString(); break;
                case RawDataField: raw = input.ReadBytes(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (dataType != FloatDataType) return null;
        var values = raw is null ? floats.ToArray() : new float[raw.Length / 4];
        for (var i = 0; raw is not null && i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Span.Slice(4 * i, 4));
        return (name, new OnnxInitializer([.. dims], values));
    }
}
