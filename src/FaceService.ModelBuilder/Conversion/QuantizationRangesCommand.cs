using FaceService.CommandLine;
using FaceService.ModelBuilder.Networks;
using FaceService.ModelBuilder.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.ModelBuilder.Conversion;

/// <summary>
/// quantization-ranges: runs the float32 recognition graph with every activation point of the int8 graph as an extra
/// output over real chips (FaceService.Bench export-chips: raw 150x150 RGB cut by the service's pipeline) and writes each
/// point's range to the JSON file the int8 build reads (models/quantization/face_recognition_int8.json, committed, so
/// that building the models needs no photos). The range is the given percentile of the positive values and of the
/// magnitudes of the negative ones.
/// </summary>
public static class QuantizationRangesCommand
{
    private const int Size = FaceRecognitionRecipe.InputSize;
    private const int Plane = 3 * Size * Size;
    private const int Bins = 4096;

    public static readonly Command Command = new(
        "quantization-ranges",
        "quantization-ranges --face-api-dir <unpacked face-api package> --chips <export-chips folder> --out <json> " +
        "[--skip N] [--limit N] [--percentile 99.99]",
        Run);

    private static int Run(ToolArguments args)
    {
        string packageDir = Path.GetFullPath(args.Required("face-api-dir"));
        string chipsDir = Path.GetFullPath(args.Required("chips"));
        string outPath = Path.GetFullPath(args.Required("out"));
        int skip = args.Get("skip", 0), limit = args.Get("limit", 400);
        float percentile = args.Get("percentile", 99.99f);
        args.RejectUnread();

        string[] files = [.. File.ReadLines(Path.Combine(chipsDir, "index.tsv")).Skip(1 + skip).Take(limit).Select(l => l.Split('\t')[0])];
        if (files.Length == 0)
        {
            throw new UsageException($"no chips in {chipsDir} after skipping {skip}.");
        }

        var probes = new ActivationProbes();
        var graph = new GraphBuilder("face_recognition_probes");
        new FaceRecognitionRecipe(probes).Build(packageDir, graph);
        byte[] model = graph.ToModel(ConverterInfo.Name, ConverterInfo.Version, "probes", []).ToByteArray();
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        string[] outputs = [.. probes.Keys.Select(k => ActivationProbes.OutputPrefix + k)];

        // Pass 1: extremes; pass 2: histograms of the positive values and of the negative ones' magnitudes.
        var min = new float[outputs.Length];
        var max = new float[outputs.Length];
        var positive = new long[outputs.Length, Bins];
        var negative = new long[outputs.Length, Bins];
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (float[][] values in Batches(session, chipsDir, files, outputs))
            {
                for (int k = 0; k < outputs.Length; k++)
                {
                    foreach (float v in values[k])
                    {
                        if (pass == 0)
                        {
                            min[k] = Math.Min(min[k], v);
                            max[k] = Math.Max(max[k], v);
                        }
                        else if (v > 0)
                        {
                            positive[k, Math.Min((int)(v / max[k] * Bins), Bins - 1)]++;
                        }
                        else if (v < 0)
                        {
                            negative[k, Math.Min((int)(v / min[k] * Bins), Bins - 1)]++;
                        }
                    }
                }
            }
        }

        var ranges = new SortedDictionary<string, ActivationRange>(StringComparer.Ordinal);
        for (int k = 0; k < outputs.Length; k++)
        {
            float high = Quantile(positive, k, percentile) * max[k];
            float low = Quantile(negative, k, percentile) * min[k];
            ranges[probes.Keys[k]] = new ActivationRange(Round(low), Round(high), Round(min[k]), Round(max[k]));
        }

        new QuantizationRanges
        {
            Model = "face_recognition",
            Description = "Activation ranges of the recognition net at the points the int8 graph quantizes (a conv's output after its " +
                "ReLU if any, a residual block's output, a shortcut's average pool), measured by `FaceService.ModelBuilder " +
                "quantization-ranges` on chips the service's pipeline cut from lfw-dev photos (FaceService.Bench export-chips). " +
                "min/max: the percentile of the negative values' magnitudes and of the positive values; observed*: the extremes.",
            Chips = files.Length,
            Percentile = Math.Round((double)percentile, 4),
            Ranges = ranges,
        }.Save(outPath);
        Console.WriteLine($"{ranges.Count} ranges from {files.Length} chips written to {outPath}");
        return 0;
    }

    private static IEnumerable<float[][]> Batches(InferenceSession session, string chipsDir, string[] files, string[] outputs)
    {
        const int batch = 8;
        for (int start = 0; start < files.Length; start += batch)
        {
            int n = Math.Min(batch, files.Length - start);
            var input = new float[n * Plane];
            for (int i = 0; i < n; i++)
            {
                byte[] rgb = File.ReadAllBytes(Path.Combine(chipsDir, files[start + i]));
                for (int p = 0; p < Size * Size; p++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        input[i * Plane + c * Size * Size + p] = rgb[p * 3 + c];
                    }
                }
            }

            using var value = OrtValue.CreateTensorValueFromMemory(input, [n, 3, Size, Size]);
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, ["input"], [value], outputs);
            yield return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
        }
    }

    // The fraction of the histogram's range below which the percentile of its counts lies (upper edge of that bin).
    private static float Quantile(long[,] histogram, int k, float percentile)
    {
        long total = 0;
        for (int b = 0; b < Bins; b++)
        {
            total += histogram[k, b];
        }

        if (total == 0)
        {
            return 0;
        }

        long target = (long)Math.Ceiling(total * percentile / 100.0), seen = 0;
        for (int b = 0; b < Bins; b++)
        {
            seen += histogram[k, b];
            if (seen >= target)
            {
                return (b + 1f) / Bins;
            }
        }

        return 1;
    }

    private static float Round(float value) => float.Parse(Int8Math.Describe(value), System.Globalization.CultureInfo.InvariantCulture);
}
