using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceService.ModelBuilder.Tfjs;

/// <summary>A weight tensor from a TensorFlow.js weights manifest, dequantized to its declared dtype.</summary>
public sealed class TfjsTensor
{
    public TfjsTensor(string name, int[] shape, float[] values, double? quantizationScale = null)
    {
        Name = name;
        Shape = shape;
        Values = values;
        QuantizationScale = quantizationScale;
    }

    /// <summary>
    /// The step of tfjs's affine uint8/uint16 quantization when the tensor was stored so (values = q · step + min),
    /// otherwise null.
    /// </summary>
    public double? QuantizationScale { get; }

    public string Name { get; }

    /// <summary>TensorFlow layout, e.g. HWIO for conv filters.</summary>
    public int[] Shape { get; }

    /// <summary>The values as float32, exactly what tfjs decodes (int32 tensors are stored as their float value).</summary>
    public float[] Values { get; }
}

/// <summary>Reads a tfjs weights manifest and its binary shards the way tfjs-core's <c>decodeWeights</c> does.</summary>
public static class TfjsWeightsReader
{
    public static IReadOnlyList<TfjsTensor> Read(string manifestPath)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        WeightGroup[] groups = JsonSerializer.Deserialize<WeightGroup[]>(File.ReadAllText(manifestPath))
            ?? throw new InvalidDataException($"{manifestPath}: empty weights manifest.");

        var tensors = new List<TfjsTensor>();
        foreach (WeightGroup group in groups)
        {
            // A group's shards are one buffer cut into files; weights follow each other in manifest order.
            byte[] buffer = group.Paths.SelectMany(path => File.ReadAllBytes(Path.Combine(directory, path))).ToArray();
            int offset = 0;
            foreach (WeightEntry entry in group.Weights)
            {
                int count = entry.Shape.Aggregate(1, (product, dim) => checked(product * dim));
                string storedDtype = entry.Quantization?.Dtype ?? entry.Dtype;
                int byteCount = checked(count * ByteSize(storedDtype, entry.Name));
                if (offset + byteCount > buffer.Length)
                {
                    throw new InvalidDataException($"{manifestPath}: weight '{entry.Name}' runs past the end of its shards.");
                }

                float[] values = Decode(entry, buffer.AsSpan(offset, byteCount), count);
                tensors.Add(new TfjsTensor(entry.Name, entry.Shape, values,
                    entry.Quantization?.Dtype is "uint8" or "uint16" ? entry.Quantization.Scale : null));
                offset += byteCount;
            }

            if (offset != buffer.Length)
            {
                throw new InvalidDataException(
                    $"{manifestPath}: shards hold {buffer.Length} bytes but the manifest describes {offset}.");
            }
        }

        return tensors;
    }

    /// <summary>Dequantizes one uint8/uint16 value as tfjs does: q * scale + min in double, then stored to the dtype.</summary>
    public static float Dequantize(int quantized, double scale, double min, string dtype) => dtype switch
    {
        "float32" => (float)(quantized * scale + min),
        // JavaScript Math.round: halves go up.
        "int32" => (float)Math.Floor(quantized * scale + min + 0.5),
        _ => throw new NotSupportedException($"Unsupported dtype '{dtype}' for a quantized weight."),
    };

    private static float[] Decode(WeightEntry entry, ReadOnlySpan<byte> bytes, int count)
    {
        var values = new float[count];
        Quantization? quantization = entry.Quantization;
        if (quantization is null)
        {
            for (int i = 0; i < count; i++)
            {
                values[i] = entry.Dtype switch
                {
                    "float32" => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
                    "int32" => BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]),
                    _ => throw new NotSupportedException($"Weight '{entry.Name}': unsupported dtype '{entry.Dtype}'."),
                };
            }

            return values;
        }

        switch (quantization.Dtype)
        {
            case "uint8" or "uint16":
                double scale = quantization.Scale ?? throw MissingField(entry, "scale");
                double min = quantization.Min ?? throw MissingField(entry, "min");
                for (int i = 0; i < count; i++)
                {
                    int quantized = quantization.Dtype == "uint8"
                        ? bytes[i]
                        : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]);
                    values[i] = Dequantize(quantized, scale, min, entry.Dtype);
                }

                return values;
            case "float16" when entry.Dtype == "float32":
                for (int i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                }

                return values;
            default:
                throw new NotSupportedException(
                    $"Weight '{entry.Name}': unsupported quantization '{quantization.Dtype}' for dtype '{entry.Dtype}'.");
        }
    }

    private static int ByteSize(string dtype, string weightName) => dtype switch
    {
        "float32" or "int32" => 4,
        "uint16" or "float16" => 2,
        "uint8" => 1,
        _ => throw new NotSupportedException($"Weight '{weightName}': unsupported dtype '{dtype}'."),
    };

    private static InvalidDataException MissingField(WeightEntry entry, string field) =>
        new($"Weight '{entry.Name}': quantization has no '{field}'.");

    private sealed record WeightGroup(
        [property: JsonPropertyName("paths")] string[] Paths,
        [property: JsonPropertyName("weights")] WeightEntry[] Weights);

    private sealed record WeightEntry(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("shape")] int[] Shape,
        [property: JsonPropertyName("dtype")] string Dtype,
        [property: JsonPropertyName("quantization")] Quantization? Quantization);

    private sealed record Quantization(
        [property: JsonPropertyName("dtype")] string Dtype,
        [property: JsonPropertyName("scale")] double? Scale,
        [property: JsonPropertyName("min")] double? Min);
}

/// <summary>Named access to the tensors of one manifest, checking each tensor's shape where it is used.</summary>
public sealed class TfjsWeightMap
{
    private readonly Dictionary<string, TfjsTensor> _tensors;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public TfjsWeightMap(IEnumerable<TfjsTensor> tensors)
    {
        _tensors = new Dictionary<string, TfjsTensor>(StringComparer.Ordinal);
        foreach (TfjsTensor tensor in tensors)
        {
            if (!_tensors.TryAdd(tensor.Name, tensor))
            {
                throw new InvalidDataException($"Weight '{tensor.Name}' appears twice in the manifest.");
            }
        }
    }

    public static TfjsWeightMap Load(string manifestPath) => new(TfjsWeightsReader.Read(manifestPath));

    /// <summary>Returns the tensor; null entries in <paramref name="expectedShape"/> match any size.</summary>
    public TfjsTensor Get(string name, params int?[] expectedShape)
    {
        if (!_tensors.TryGetValue(name, out TfjsTensor? tensor))
        {
            throw new InvalidDataException($"Weight '{name}' is missing from the manifest.");
        }

        bool matches = tensor.Shape.Length == expectedShape.Length
            && tensor.Shape.Zip(expectedShape).All(pair => pair.Second is null || pair.First == pair.Second);
        if (!matches)
        {
            string expected = string.Join(",", expectedShape.Select(d => d?.ToString() ?? "?"));
            throw new InvalidDataException(
                $"Weight '{name}' has shape [{string.Join(",", tensor.Shape)}], expected [{expected}].");
        }

        _used.Add(name);
        return tensor;
    }

    /// <summary>Names never asked for (the SSD manifest carries graph constants the network does not need).</summary>
    public IReadOnlyList<string> Unused() => _tensors.Keys.Where(name => !_used.Contains(name)).Order(StringComparer.Ordinal).ToArray();
}
