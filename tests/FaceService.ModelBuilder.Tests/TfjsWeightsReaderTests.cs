using System.Text.Json;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Tests;

public sealed class TfjsWeightsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tfjs-weights-").FullName;

    [Fact]
    public void Reads_quantized_plain_and_int32_weights_across_shards()
    {
        // w1: uint8-quantized float32 [2,2]; w2: plain float32 [2]; w3: uint8-quantized int32 scalar.
        byte[] buffer =
        [
            0, 1, 128, 255,
            .. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2.25f),
            7,
        ];
        File.WriteAllBytes(Path.Combine(_dir, "shard1.bin"), buffer[..6]);
        File.WriteAllBytes(Path.Combine(_dir, "shard2.bin"), buffer[6..]);
        string manifest = WriteManifest(["shard1.bin", "shard2.bin"],
            new { name = "w1", shape = new[] { 2, 2 }, dtype = "float32", quantization = new { dtype = "uint8", scale = 0.1, min = -1.0 } },
            new { name = "w2", shape = new[] { 2 }, dtype = "float32" },
            new { name = "w3", shape = Array.Empty<int>(), dtype = "int32", quantization = new { dtype = "uint8", scale = 1.0, min = 6.0 } });

        var map = TfjsWeightMap.Load(manifest);

        Assert.Equal([(float)(0 * 0.1 - 1), (float)(1 * 0.1 - 1), (float)(128 * 0.1 - 1), (float)(255 * 0.1 - 1)],
            map.Get("w1", 2, 2).Values);
        Assert.Equal([1.5f, -2.25f], map.Get("w2", 2).Values);
        Assert.Equal([13f], map.Get("w3").Values);
        Assert.Empty(map.Unused());
    }

    [Fact]
    public void Dequantizes_in_double_then_rounds_to_float_like_tfjs()
    {
        const double scale = 0.0005260649557207145, min = -0.07101876902229645;
        Assert.Equal((float)(200 * scale + min), TfjsWeightsReader.Dequantize(200, scale, min, "float32"));
        Assert.NotEqual(200 * (float)scale + (float)min, TfjsWeightsReader.Dequantize(200, scale, min, "float32"));
    }

    [Theory]
    [InlineData(2, 3f)] // JavaScript Math.round rounds halves up, unlike .NET's default banker's rounding
    [InlineData(3, 4f)]
    [InlineData(0, 1f)] // 0.5 -> 1 (banker's rounding would give 0)
    public void Int32_weights_round_like_javascript(int quantized, float expected) =>
        Assert.Equal(expected, TfjsWeightsReader.Dequantize(quantized, 1.0, 0.5, "int32"));

    [Fact]
    public void Shards_longer_than_the_manifest_describes_are_rejected()
    {
        File.WriteAllBytes(Path.Combine(_dir, "shard.bin"), new byte[5]);
        string manifest = WriteManifest(["shard.bin"], new { name = "w", shape = new[] { 1 }, dtype = "float32" });

        var error = Assert.Throws<InvalidDataException>(() => TfjsWeightsReader.Read(manifest));
        Assert.Contains("5 bytes", error.Message);
    }

    [Fact]
    public void Shards_too_short_are_rejected()
    {
        File.WriteAllBytes(Path.Combine(_dir, "shard.bin"), new byte[3]);
        string manifest = WriteManifest(["shard.bin"], new { name = "w", shape = new[] { 1 }, dtype = "float32" });

        var error = Assert.Throws<InvalidDataException>(() => TfjsWeightsReader.Read(manifest));
        Assert.Contains("'w'", error.Message);
    }

    [Fact]
    public void A_weight_of_unexpected_shape_is_reported_by_name()
    {
        File.WriteAllBytes(Path.Combine(_dir, "shard.bin"), new byte[8]);
        var map = TfjsWeightMap.Load(WriteManifest(["shard.bin"], new { name = "conv/bias", shape = new[] { 2 }, dtype = "float32" }));

        var error = Assert.Throws<InvalidDataException>(() => map.Get("conv/bias", 3));
        Assert.Contains("conv/bias", error.Message);
        Assert.Throws<InvalidDataException>(() => map.Get("missing", 2));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteManifest(string[] paths, params object[] weights)
    {
        string path = Path.Combine(_dir, "weights_manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new[] { new { paths, weights } }));
        return path;
    }
}
