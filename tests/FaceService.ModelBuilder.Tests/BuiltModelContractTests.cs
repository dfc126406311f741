using FaceService.ModelBuilder.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace FaceService.ModelBuilder.Tests;

/// <summary>The models written by models/build.sh load in ONNX Runtime and honour the contract in docs (names, shapes, batching).</summary>
public sealed class BuiltModelContractTests
{
    // The contract, written out literally: -1 is the dynamic batch dimension.
    public static TheoryData<string, int, string> Models => new()
    {
        { "face_recognition.onnx", 150, "embedding=-1x128" },
        { "ssd_mobilenetv1.onnx", 512, "boxes=-1x5118x4;scores=-1x5118" },
        { "face_landmark_68.onnx", 112, "landmarks=-1x136" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Model_has_contract_input_and_outputs(string file, int size, string outputs)
    {
        using var session = new InferenceSession(RepoPaths.RequireModel(file));

        KeyValuePair<string, NodeMetadata> input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal([-1, 3, size, size], input.Value.Dimensions);
        Assert.Equal("N", input.Value.SymbolicDimensions[0]);

        string actual = string.Join(";", session.OutputMetadata.Select(o =>
        {
            Assert.Equal(typeof(float), o.Value.ElementType);
            return $"{o.Key}={string.Join("x", o.Value.Dimensions)}";
        }));
        Assert.Equal(outputs, actual);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Batch_of_two_identical_images_gives_identical_finite_outputs_of_contract_shape(string file, int size, string outputs)
    {
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel(file));
        float[] image = ImageTensors.Resized(ImageTensors.Load(RepoPaths.RequireFacePhoto("Juanes/Juanes_0001.jpg")), size);

        Dictionary<string, (float[] Values, int[] Shape)> results =
            runner.Run("input", ImageTensors.Batch(image, image), 2, 3, size, size);

        foreach (string output in outputs.Split(';'))
        {
            string name = output.Split('=')[0];
            int[] expectedShape = output.Split('=')[1].Split('x').Select(int.Parse).ToArray();
            expectedShape[0] = 2;
            (float[] values, int[] shape) = results[name];
            Assert.Equal(expectedShape, shape);
            Assert.All(values, v => Assert.True(float.IsFinite(v), $"{name} has a non-finite value"));

            int half = values.Length / 2;
            Assert.Equal(values[..half], values[half..]);
        }
    }
}
