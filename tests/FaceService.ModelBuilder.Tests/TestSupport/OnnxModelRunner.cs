using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FaceService.ModelBuilder.Tests.TestSupport;

/// <summary>Runs a model with ONNX Runtime on CPU and returns its outputs by name.</summary>
public sealed class OnnxModelRunner : IDisposable
{
    public OnnxModelRunner(string modelPath) => Session = new InferenceSession(modelPath);

    public OnnxModelRunner(byte[] model) => Session = new InferenceSession(model);

    public InferenceSession Session { get; }

    public Dictionary<string, (float[] Values, int[] Shape)> Run(string inputName, float[] input, params int[] shape)
    {
        var tensor = new DenseTensor<float>(input, shape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            Session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.ToDictionary(
            r => r.Name,
            r =>
            {
                Tensor<float> t = r.AsTensor<float>();
                return (t.ToArray(), t.Dimensions.ToArray());
            });
    }

    public void Dispose() => Session.Dispose();
}
