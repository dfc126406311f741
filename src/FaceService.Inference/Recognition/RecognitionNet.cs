using System.Buffers;
using System.Security.Cryptography;
using FaceService.Core.Embeddings;
using FaceService.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Recognition;

/// <summary>dlib's face recognition ResNet (face-api's port): 150x150 RGB chips to unit 128-d embeddings.</summary>
public sealed class RecognitionNet : IDisposable
{
    public const string ModelFile = "face_recognition.onnx";
    public const string Int8ModelFile = "face_recognition_int8.onnx";
    public const int ChipSize = 150;
    private const int Dimensions = EmbeddingQuantizer.Dimensions;
    private const int PlaneSize = 3 * ChipSize * ChipSize;

    private readonly InferenceSession _session;
    private readonly ModelRunner _runner;

    public RecognitionNet(OnnxSessionFactory sessions, RecognitionPrecision precision = RecognitionPrecision.Float32)
    {
        Precision = precision;
        var file = FileFor(precision);
        _session = sessions.Open(file);
        _runner = sessions.CreateRunner();
        WeightsSha256 = WeightsSha256Of(sessions.ModelPath(file));
    }

    /// <summary>SHA-256 of a model file, in lower-case hex.</summary>
    public static string WeightsSha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string FileFor(RecognitionPrecision precision) => precision == RecognitionPrecision.Int8 ? Int8ModelFile : ModelFile;

    public RecognitionPrecision Precision { get; }

    /// <summary>SHA-256 of the ONNX file: the same weights give the same model id, whatever build converted them.</summary>
    public string WeightsSha256 { get; }

    /// <summary>One run over all chips; returns one L2-normalised embedding per chip.</summary>
    public float[][] Embed(IReadOnlyList<RgbaImage> chips)
    {
        if (chips.Count == 0) return [];
        var input = ArrayPool<float>.Shared.Rent(chips.Count * PlaneSize);
        try
        {
            for (var i = 0; i < chips.Count; i++)
            {
                if (chips[i].Width != ChipSize || chips[i].Height != ChipSize)
                    throw new ArgumentException($"Chip {i} is {chips[i].Width}x{chips[i].Height}; the net takes {ChipSize}x{ChipSize}.", nameof(chips));
                TensorLayout.RgbaToPlanes(chips[i].Pixels, input.AsSpan(i * PlaneSize, PlaneSize));
            }

            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                input.AsMemory(0, chips.Count * PlaneSize), [chips.Count, 3, ChipSize, ChipSize]);
            using var outputs = _runner.Run(_session, ["input"], [inputValue], ["embedding"]);
            var raw = outputs[0].GetTensorDataAsSpan<float>();

            var embeddings = new float[chips.Count][];
            for (var i = 0; i < chips.Count; i++)
            {
                embeddings[i] = raw.Slice(i * Dimensions, Dimensions).ToArray();
                EmbeddingMath.NormalizeInPlace(embeddings[i]);
            }
            return embeddings;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runner.Dispose();
    }
}
