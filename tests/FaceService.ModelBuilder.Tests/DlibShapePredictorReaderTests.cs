using System.Security.Cryptography;
using System.Text.Json;
using FaceService.ModelBuilder.Dlib;
using FaceService.Inference.Landmarks;

namespace FaceService.ModelBuilder.Tests;

public sealed class DlibShapePredictorReaderTests : IDisposable
{
    private readonly string _outDir = Directory.CreateTempSubdirectory("shape-predictor-").FullName;

    // dlib's encodings (serialize.h, float_details.h), written out by hand.
    private static byte[] Int(long value)
    {
        var magnitude = (ulong)Math.Abs(value);
        var bytes = new List<byte>();
        do { bytes.Add((byte)magnitude); magnitude >>= 8; } while (magnitude != 0);
        return [(byte)(bytes.Count | (value < 0 ? 0x80 : 0)), .. bytes];
    }

    /// <summary>mantissa·2^exponent, as dlib writes a float: the mantissa, then the exponent.</summary>
    private static byte[] Float(long mantissa, short exponent) => [.. Int(mantissa), .. Int(exponent)];

    [Fact]
    public void Reads_dlibs_integers_and_floats()
    {
        byte[] bytes =
        [
            0x02, 0x2C, 0x01, // int 300
            0x81, 0x05, // int −5
            0x02, 0x02, 0x01, // unsigned long 258
            0x01, 0xC0, 0x81, 0x08, // float 192·2^−8 = 0.75 (dlib strips the mantissa's zero low bytes)
            0x81, 0xC0, 0x81, 0x07, // float −192·2^−7 = −1.5
            0x01, 0x00, 0x02, 0x00, 0x7D, // float: exponent 32000 = +∞
        ];
        var input = new DlibDeserializer(bytes);

        Assert.Equal(300, input.ReadInt32());
        Assert.Equal(-5, input.ReadInt32());
        Assert.Equal(258, input.ReadIndex());
        Assert.Equal(0.75f, input.ReadSingle());
        Assert.Equal(-1.5f, input.ReadSingle());
        Assert.Equal(float.PositiveInfinity, input.ReadSingle());
        input.ExpectEnd();
    }

    [Fact]
    public void Refuses_what_is_not_dlibs_binary_format()
    {
        Assert.Throws<InvalidDataException>(() => new DlibDeserializer("1.5 "u8.ToArray()).ReadSingle()); // dlib's old text floats
        Assert.Throws<InvalidDataException>(() => new DlibDeserializer([0x05, 1, 2, 3, 4, 5]).ReadInt32()); // 5 bytes for an int
        Assert.Throws<EndOfStreamException>(() => new DlibDeserializer([0x02, 0x01]).ReadInt32()); // cut short
        Assert.Throws<InvalidDataException>(() => new DlibDeserializer([0x01, 0x00, 0x07]).ExpectEnd());
    }

    [Fact]
    public void Reads_a_shape_predictor_into_flat_arrays()
    {
        // 2 parts, 2 cascades of 1 tree of depth 1 (1 split, 2 leaves), 2 feature pixels per cascade.
        byte[] Column(params (long Mantissa, short Exponent)[] values) =>
            [.. Int(-values.Length), .. Int(-1), .. values.SelectMany(v => Float(v.Mantissa, v.Exponent))];
        byte[] Tree(int idx1, int idx2, long threshold, long leafBase) =>
        [
            .. Int(1), .. Int(idx1), .. Int(idx2), .. Float(threshold, 0),
            .. Int(2), .. Column((leafBase, -4), (leafBase + 1, -4), (leafBase + 2, -4), (leafBase + 3, -4)),
            .. Column((-leafBase, -4), (-leafBase - 1, -4), (-leafBase - 2, -4), (-leafBase - 3, -4)),
        ];
        byte[] serialized =
        [
            .. Int(1), // version
            .. Column((1, -2), (1, -1), (3, -2), (1, -1)), // initial shape (0.25, 0.5), (0.75, 0.5)
            .. Int(2), .. Int(1), .. Tree(0, 1, 10, 1), .. Int(1), .. Tree(1, 0, -3, 5), // forests
            .. Int(2), .. Int(2), .. Int(0), .. Int(1), .. Int(2), .. Int(1), .. Int(1), // anchor_idx
            .. Int(2), .. Int(2), .. Float(1, -3), .. Float(-1, -3), .. Float(0, 0), .. Float(1, -4), // deltas, cascade 0
            .. Int(2), .. Float(3, -3), .. Float(0, 0), .. Float(-3, -4), .. Float(1, -1), // deltas, cascade 1
        ];

        var model = DlibShapePredictorReader.Read(serialized);

        Assert.Equal((2, 2, 1, 1, 2), (model.Parts, model.Cascades, model.TreesPerCascade, model.TreeDepth, model.FeaturesPerCascade));
        Assert.Equal([0.25f, 0.5f, 0.75f, 0.5f], model.InitialShape);
        Assert.Equal([0, 1, 1, 1], model.AnchorIndices);
        Assert.Equal([0.125f, -0.125f, 0f, 0.0625f, 0.375f, 0f, -0.1875f, 0.5f], model.AnchorDeltas);
        Assert.Equal([0, 1, 1, 0], model.SplitFeatures);
        Assert.Equal([10f, -3f], model.SplitThresholds);
        Assert.Equal(16, model.LeafValues.Length);
        Assert.Equal([1 / 16f, 2 / 16f, 3 / 16f, 4 / 16f, -1 / 16f, -2 / 16f, -3 / 16f, -4 / 16f], model.LeafValues[..8]);
        Assert.Equal([5 / 16f, 6 / 16f, 7 / 16f, 8 / 16f], model.LeafValues[8..12]);
    }

    [Fact]
    public void Converting_the_cached_package_again_reproduces_the_built_file_and_its_manifest_entry()
    {
        string dlibData = Path.Combine(RepoPaths.ModelsDir, ".cache", "libdlib-data");
        if (!Directory.Exists(dlibData)) Assert.Fail($"{dlibData} is missing: run models/build.sh first.");
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.ModelsDir, "manifest.json")));
        JsonElement entry = manifest.RootElement.GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("file").GetString() == DlibShapePredictor.ModelFile);

        ConvertedShapePredictor converted = ShapePredictorConversion.Convert(dlibData, _outDir);

        Assert.Equal(entry.GetProperty("sha256").GetString(), converted.Sha256);
        Assert.Equal(entry.GetProperty("sourceSha256").GetString(), converted.SourceSha256);
        Assert.Equal("Debian libdlib-data 19.24+dfsg-1", entry.GetProperty("source").GetString());
        Assert.Equal("12dda15b1323ca7772bd9cae31f2b839485b36f51b1fe51707a272b94b71c106", entry.GetProperty("debSha256").GetString());
        Assert.StartsWith("CC0-1.0", entry.GetProperty("licence").GetString());
        Assert.Equal((68, 15, 500, 4, 500), (converted.Model.Parts, converted.Model.Cascades, converted.Model.TreesPerCascade,
            converted.Model.TreeDepth, converted.Model.FeaturesPerCascade));
        string onDisk = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RepoPaths.RequireModel(DlibShapePredictor.ModelFile))));
        Assert.Equal(converted.Sha256, onDisk);
    }

    public void Dispose() => Directory.Delete(_outDir, recursive: true);
}
