using System.Buffers.Binary;
using System.Text;

namespace FaceService.Inference.Runtime;

/// <summary>A float32 constant of an ONNX graph: its dimensions and values.</summary>
public sealed record OnnxInitializer(long[] Dims, float[] Values);

/// <summary>
/// Reads the float32 initializers (the weights) of an ONNX model file straight from its protobuf encoding: ModelProto
/// field 7 (graph) → GraphProto field 5 (initializer) → TensorProto dims (1), data_type (2), float_data (4), name (8),
/// raw_data (9, little-endian). For code that runs a small net's arithmetic itself; the session still runs everything else.
/// </summary>
public static class OnnxInitializers
{
    private const int FloatDataType = 1;

    public static IReadOnlyDictionary<string, OnnxInitializer> Read(string modelPath)
    {
        var model = File.ReadAllBytes(modelPath);
        var result = new Dictionary<string, OnnxInitializer>(StringComparer.Ordinal);
        foreach (var (field, graph) in LengthDelimited(model))
        {
            if (field != 7) continue;
            foreach (var (graphField, tensor) in LengthDelimited(graph))
                if (graphField == 5 && ReadTensor(tensor) is { } named) result[named.Name] = named.Initializer;
        }
        return result;
    }

    /// <summary>The one initializer whose name starts with <paramref name="prefix"/> (converters append a numeric suffix).</summary>
    public static OnnxInitializer Named(this IReadOnlyDictionary<string, OnnxInitializer> initializers, string prefix, string modelPath) =>
        initializers.Where(w => w.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(w => w.Value).SingleOrDefault()
        ?? throw new InvalidDataException($"{modelPath}: no single initializer named {prefix}*; not the model models/build.sh writes.");

    private static (string Name, OnnxInitializer Initializer)? ReadTensor(ReadOnlyMemory<byte> tensor)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        byte[]? raw = null;
        string name = "";
        long dataType = 0;
        var span = tensor.Span;
        var at = 0;
        while (at < span.Length)
        {
            var key = ReadVarint(span, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (field, wire)
            {
                case (1, 0): dims.Add((long)ReadVarint(span, ref at)); break;
                case (1, 2): foreach (var d in Packed(span, ref at)) dims.Add((long)d); break;
                case (2, 0): dataType = (long)ReadVarint(span, ref at); break;
                case (4, 5): floats.Add(BinaryPrimitives.ReadSingleLittleEndian(span.Slice(at, 4))); at += 4; break;
                case (4, 2):
                    var packed = Length(span, ref at);
                    for (var i = 0; i < packed.Length; i += 4) floats.Add(BinaryPrimitives.ReadSingleLittleEndian(packed.Slice(i, 4)));
                    break;
                case (8, 2): name = Encoding.UTF8.GetString(Length(span, ref at)); break;
                case (9, 2): raw = Length(span, ref at).ToArray(); break;
                default: Skip(span, ref at, wire); break;
            }
        }
        if (dataType != FloatDataType) return null;
        var values = raw is null ? floats.ToArray() : new float[raw.Length / 4];
        for (var i = 0; raw is not null && i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i, 4));
        return (name, new OnnxInitializer([.. dims], values));
    }

    /// <summary>The length-delimited fields of a message (the only kind read here that nests).</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> LengthDelimited(ReadOnlyMemory<byte> message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var key = ReadVarint(message.Span, ref at);
            if ((key & 7) != 2)
            {
                Skip(message.Span, ref at, (int)(key & 7));
                continue;
            }
            var length = (int)ReadVarint(message.Span, ref at);
            yield return ((int)(key >> 3), message.Slice(at, length));
            at += length;
        }
    }

    private static ReadOnlySpan<byte> Length(ReadOnlySpan<byte> span, ref int at)
    {
        var length = (int)ReadVarint(span, ref at);
        var value = span.Slice(at, length);
        at += length;
        return value;
    }

    private static List<ulong> Packed(ReadOnlySpan<byte> span, ref int at)
    {
        var bytes = Length(span, ref at);
        var values = new List<ulong>();
        for (var i = 0; i < bytes.Length;) values.Add(ReadVarint(bytes, ref i));
        return values;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
            if (shift > 63) throw new InvalidDataException("Malformed varint in an ONNX model.");
        }
    }

    private static void Skip(ReadOnlySpan<byte> span, ref int at, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(span, ref at); break;
            case 1: at += 8; break;
            case 2: Length(span, ref at); break;
            case 5: at += 4; break;
            default: throw new InvalidDataException($"Unsupported protobuf wire type {wire} in an ONNX model.");
        }
    }
}
