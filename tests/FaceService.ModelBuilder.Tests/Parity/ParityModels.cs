using FaceService.ModelBuilder.Tests.TestSupport;

namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>One converted model per test class; a missing model fails each test (models/build.sh not run).</summary>
public abstract class ParityModel(string fileName) : IDisposable
{
    private readonly Lazy<OnnxModelRunner> _runner = new(() => new OnnxModelRunner(RepoPaths.RequireModel(fileName)));

    /// <summary>Runs the model on one parity input (batch of 1, NCHW) and returns the named output.</summary>
    public float[] Run(ParityInput input, string outputName) =>
        RunAll(input)[outputName].Values;

    public Dictionary<string, (float[] Values, int[] Shape)> RunAll(ParityInput input) => RunBatch([input]);

    /// <summary>Runs the model once on a batch of same-sized inputs.</summary>
    public Dictionary<string, (float[] Values, int[] Shape)> RunBatch(IReadOnlyList<ParityInput> inputs) =>
        _runner.Value.Run("input", inputs.SelectMany(i => i.ToNchw()).ToArray(), inputs.Count, 3, inputs[0].Height, inputs[0].Width);

    public void Dispose()
    {
        if (_runner.IsValueCreated)
        {
            _runner.Value.Dispose();
        }
    }
}

public sealed class RecognitionModel() : ParityModel("face_recognition.onnx");

public sealed class LandmarksModel() : ParityModel("face_landmark_68.onnx");

public sealed class DetectorModel() : ParityModel("ssd_mobilenetv1.onnx");

public sealed class MtcnnPNetModel() : ParityModel("mtcnn_pnet.onnx");

public sealed class MtcnnRNetModel() : ParityModel("mtcnn_rnet.onnx");

public sealed class MtcnnONetModel() : ParityModel("mtcnn_onet.onnx");
