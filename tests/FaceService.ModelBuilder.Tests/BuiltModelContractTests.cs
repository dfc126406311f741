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
        { "face_recognition_int8.onnx", 150, "embedding=-1x128" },
        { "ssd_mobilenetv1.onnx", 512, "boxes=-1x5118x4;scores=-1x5118" },
        { "face_landmark_68.onnx", 112, "landmarks=-1x136" },
        { "mtcnn_rnet.onnx", 24, "probabilities=-1x2;box_regression=-1x4" },
        { "mtcnn_onet.onnx", 48, "probabilities=-1x2;box_regression=-1x4;landmarks=-1x10" },
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

    /// <summary>P-Net is fully convolutional: any height and width, maps of ceil(side / 2) - 5 cells in image orientation.</summary>
    [Fact]
    public void PNet_takes_any_size_and_gives_maps_in_image_orientation()
    {
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel("mtcnn_pnet.onnx"));
        KeyValuePair<string, NodeMetadata> input = Assert.Single(runner.Session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal([-1, 3, -1, -1], input.Value.Dimensions);
        Assert.Equal(["N", "", "H", "W"], input.Value.SymbolicDimensions);
        Assert.Equal(["probabilities", "box_regression"], runner.Session.OutputMetadata.Keys);

        // 45 x 64: odd height, so the pooling's 'same' padding is exercised; not square, so a swap of the axes shows.
        float[] square = ImageTensors.CenterCrop(ImageTensors.Load(RepoPaths.RequireFacePhoto("Juanes/Juanes_0001.jpg")), 64);
        float[] image = Enumerable.Range(0, 3).SelectMany(c => square.Skip(c * 64 * 64).Take(45 * 64)).ToArray();
        Dictionary<string, (float[] Values, int[] Shape)> results = runner.Run("input", ImageTensors.Batch(image, image), 2, 3, 45, 64);

        Assert.Equal([2, 2, 18, 27], results["probabilities"].Shape);
        Assert.Equal([2, 4, 18, 27], results["box_regression"].Shape);
        (float[] probabilities, _) = results["probabilities"];
        int plane = 18 * 27;
        for (int i = 0; i < plane; i++)
        {
            Assert.Equal(1f, probabilities[i] + probabilities[plane + i], 5);
        }

        Assert.Equal(probabilities[..(2 * plane)], probabilities[(2 * plane)..]);
    }
}
