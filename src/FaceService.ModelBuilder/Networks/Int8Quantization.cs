using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceService.ModelBuilder.Onnx;

namespace FaceService.ModelBuilder.Networks;

/// <summary>
/// What the recognition recipe does at each named activation point (a conv's output, a residual block's output, a
/// shortcut's pool): nothing (float32), an extra graph output (to measure the activation's range), or a
/// QuantizeLinear/DequantizeLinear pair with the measured range (int8 in QDQ form). Conv weights are quantized only in
/// the last case.
/// </summary>
public abstract class ActivationQuantization
{
    /// <summary>Whether convs take folded, per-channel int8 weights and the activations go through Q/DQ.</summary>
    public abstract bool QuantizesWeights { get; }

    /// <summary>The activation <paramref name="x"/> at the point <paramref name="key"/>.</summary>
    public abstract FeatureMap At(GraphBuilder graph, string key, FeatureMap x);

    /// <summary>
    /// <paramref name="x"/>, made from <paramref name="like"/> without changing its values' scale (a max pool, a zero pad),
    /// quantized as <paramref name="like"/> is, so that ONNX Runtime can run the op on the quantized values.
    /// </summary>
    public abstract FeatureMap Like(GraphBuilder graph, FeatureMap x, FeatureMap like);

    /// <summary>The graph as trained, float32.</summary>
    public static ActivationQuantization None { get; } = new NoQuantization();

    private sealed class NoQuantization : ActivationQuantization
    {
        public override bool QuantizesWeights => false;
        public override FeatureMap At(GraphBuilder graph, string key, FeatureMap x) => x;
        public override FeatureMap Like(GraphBuilder graph, FeatureMap x, FeatureMap like) => x;
    }
}

/// <summary>The float32 graph with every activation point also a graph output named <c>probe:&lt;key&gt;</c>.</summary>
public sealed class ActivationProbes : ActivationQuantization
{
    public const string OutputPrefix = "probe:";

    private readonly List<string> _keys = [];

    public IReadOnlyList<string> Keys => _keys;

    public override bool QuantizesWeights => false;

    public override FeatureMap At(GraphBuilder graph, string key, FeatureMap x)
    {
        _keys.Add(key);
        graph.Output(x.Name, OutputPrefix + key, NetworkRecipe.Batch, x.Channels, x.Height, x.Width);
        return x;
    }

    public override FeatureMap Like(GraphBuilder graph, FeatureMap x, FeatureMap like) => x;
}

/// <summary>
/// Int8 in QDQ form: each activation point quantized to uint8 over its measured range (zero point 0 where the range
/// starts at 0, after a ReLU), weights per output channel, symmetric int8, int32 biases at input scale x weight scale.
/// </summary>
public sealed class Int8Activations(QuantizationRanges ranges) : ActivationQuantization
{
    private readonly Dictionary<string, (float Scale, byte ZeroPoint)> _byValue = new(StringComparer.Ordinal);

    public QuantizationRanges Ranges { get; } = ranges;

    public override bool QuantizesWeights => true;

    public override FeatureMap At(GraphBuilder graph, string key, FeatureMap x)
    {
        if (!Ranges.Ranges.TryGetValue(key, out ActivationRange? range))
        {
            throw new InvalidDataException($"The quantization ranges have no entry '{key}'.");
        }

        return Quantize(graph, x, Int8Math.UInt8Parameters(range.Min, range.Max));
    }

    public override FeatureMap Like(GraphBuilder graph, FeatureMap x, FeatureMap like) =>
        x.Name == like.Name ? x : Quantize(graph, x, ParametersOf(like));

    /// <summary>Scale and zero point of a value this class quantized.</summary>
    public (float Scale, byte ZeroPoint) ParametersOf(FeatureMap x) =>
        _byValue.TryGetValue(x.Name, out var parameters)
            ? parameters
            : throw new InvalidOperationException($"'{x.Name}' is not a quantized activation.");

    public FeatureMap Quantize(GraphBuilder graph, FeatureMap x, (float Scale, byte ZeroPoint) parameters)
    {
        string value = graph.QuantizeDequantize(x.Name, parameters.Scale, parameters.ZeroPoint);
        _byValue[value] = parameters;
        return x with { Name = value };
    }
}

/// <summary>Per-tensor activation ranges of the recognition net, measured on real chips (models/quantization/*.json).</summary>
public sealed record QuantizationRanges
{
    public required string Model { get; init; }
    public required string Description { get; init; }
    public required int Chips { get; init; }
    public required double Percentile { get; init; }
    public required SortedDictionary<string, ActivationRange> Ranges { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>SHA-256 of the file it was loaded from (models/manifest.json records it; build.sh rebuilds when it changes).</summary>
    [JsonIgnore]
    public string? FileSha256 { get; init; }

    public static QuantizationRanges Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        QuantizationRanges ranges = JsonSerializer.Deserialize<QuantizationRanges>(bytes, Json)
            ?? throw new InvalidDataException($"{path} holds no quantization ranges.");
        return ranges with { FileSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) };
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
    }
}

/// <summary>
/// One activation's range: <see cref="Min"/>/<see cref="Max"/> are what the int8 graph quantizes over (the percentile
/// of the values on each side of zero), <see cref="ObservedMin"/>/<see cref="ObservedMax"/> the extremes seen.
/// </summary>
public sealed record ActivationRange(float Min, float Max, float ObservedMin, float ObservedMax);

/// <summary>The arithmetic of the int8 recognition graph: folding dlib's scale layer into the conv, quantizing weights and biases.</summary>
public static class Int8Math
{
    /// <summary>Asymmetric uint8 over [min, max] widened to hold 0: scale = (max − min) / 255, zero point = round(−min / scale).</summary>
    public static (float Scale, byte ZeroPoint) UInt8Parameters(float min, float max)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        float scale = Math.Max(max - min, 1e-6f) / 255f;
        byte zeroPoint = (byte)Math.Clamp(MathF.Round(-min / scale), 0f, 255f);
        return (scale, zeroPoint);
    }

    /// <summary>
    /// conv(x, W) + b, then · s[o] + t[o] (dlib's affine "scale" layer) as one conv: W[o] · s[o] and b[o] · s[o] + t[o].
    /// </summary>
    public static (float[] Weights, float[] Bias) FoldChannelScale(float[] oihw, float[] bias, float[] scale, float[] shift)
    {
        int cout = scale.Length, perChannel = oihw.Length / cout;
        var weights = new float[oihw.Length];
        var folded = new float[cout];
        for (int o = 0; o < cout; o++)
        {
            for (int i = 0; i < perChannel; i++)
            {
                weights[o * perChannel + i] = oihw[o * perChannel + i] * scale[o];
            }

            folded[o] = bias[o] * scale[o] + shift[o];
        }

        return (weights, folded);
    }

    /// <summary>
    /// conv(a[c] · x + b[c], W) as conv(x, W') + bias': W'[o,c] = W[o,c] · a[c], bias'[o] += Σ W[o,c,·,·] · b[c]. Exact only
    /// without zero padding (a padded zero of the affine input is not a zero of x).
    /// </summary>
    public static (float[] Weights, float[] Bias) FoldInputAffine(float[] oihw, float[] bias, float[] inputScale, float[] inputOffset)
    {
        int cout = bias.Length, cin = inputScale.Length, kernel = oihw.Length / (cout * cin);
        var weights = new float[oihw.Length];
        var folded = (float[])bias.Clone();
        for (int o = 0; o < cout; o++)
        {
            double offset = 0;
            for (int c = 0; c < cin; c++)
            {
                for (int k = 0; k < kernel; k++)
                {
                    int index = (o * cin + c) * kernel + k;
                    weights[index] = oihw[index] * inputScale[c];
                    offset += (double)oihw[index] * inputOffset[c];
                }
            }

            folded[o] += (float)offset;
        }

        return (weights, folded);
    }

    /// <summary>
    /// Symmetric int8 per output channel. Where the channel's weights lie on a lattice of step <paramref name="lattice"/>[o]
    /// (tfjs stored them as uint8 with zero on the grid; folding a per-channel scale keeps the grid) and fit −128..127
    /// steps, that step is the scale: exact. Otherwise q = round(W / scale[o]) in −127..127 with the scale that gives the
    /// least squared rounding error among max |W[o]| · r / 127 for r from 0.5 to 1 (clipping a few outliers can pay).
    /// </summary>
    public static (sbyte[] Values, float[] Scales) QuantizeWeightsPerChannel(float[] oihw, int cout, float[]? lattice = null)
    {
        int perChannel = oihw.Length / cout;
        var values = new sbyte[oihw.Length];
        var scales = new float[cout];
        for (int o = 0; o < cout; o++)
        {
            ReadOnlySpan<float> w = oihw.AsSpan(o * perChannel, perChannel);
            float max = 0;
            foreach (float v in w)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            if (max == 0)
            {
                scales[o] = 1f;
                continue;
            }

            if (lattice is not null && OnLattice(w, lattice[o]))
            {
                scales[o] = lattice[o];
                for (int i = 0; i < perChannel; i++)
                {
                    values[o * perChannel + i] = (sbyte)MathF.Round(w[i] / lattice[o]);
                }

                continue;
            }

            double bestError = double.MaxValue;
            for (int step = 100; step >= 50; step--)
            {
                float scale = max * step / 100f / 127f;
                double error = 0;
                foreach (float v in w)
                {
                    double e = v - Math.Clamp(MathF.Round(v / scale), -127f, 127f) * scale;
                    error += e * e;
                }

                if (error < bestError)
                {
                    (bestError, scales[o]) = (error, scale);
                }
            }

            for (int i = 0; i < perChannel; i++)
            {
                values[o * perChannel + i] = (sbyte)Math.Clamp(MathF.Round(w[i] / scales[o]), -127f, 127f);
            }
        }

        return (values, scales);
    }

    private static bool OnLattice(ReadOnlySpan<float> w, float step)
    {
        if (!(step > 0))
        {
            return false;
        }

        foreach (float v in w)
        {
            float steps = v / step, rounded = MathF.Round(steps);
            if (rounded is < -128 or > 127 || Math.Abs(steps - rounded) > 1e-3f)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The bias as int32 at scale inputScale · weightScale[o] (zero point 0), what QLinearConv adds to its int32 sums.</summary>
    public static (int[] Values, float[] Scales) QuantizeBias(float[] bias, float inputScale, float[] weightScales)
    {
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (int o = 0; o < bias.Length; o++)
        {
            scales[o] = inputScale * weightScales[o];
            values[o] = (int)Math.Clamp(Math.Round((double)bias[o] / scales[o]), int.MinValue, int.MaxValue);
        }

        return (values, scales);
    }

    public static string Describe(float value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
