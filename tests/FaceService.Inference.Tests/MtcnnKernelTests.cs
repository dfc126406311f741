using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Tests;

/// <summary>
/// The CPU P-Net and R-Net against ONNX Runtime's runs of the same model files, on pyramid levels and crops of real
/// photos (on a CPU without AVX2 and FMA the kernels still run, slowly, and the detector leaves the nets to ONNX Runtime).
/// </summary>
public sealed class MtcnnKernelTests(MtcnnModelsFixture mtcnn, ITestOutputHelper output) : IClassFixture<MtcnnModelsFixture>
{
    [Theory]
    [InlineData("Barack_Obama/Barack_Obama_0001.jpg", 0.3f)]
    [InlineData("_group/2008_002470.jpg", 0.3f)]
    [InlineData("_group/2008_002470.jpg", 0.0359f)] // P-Net's smallest kind of level: a few cells
    [InlineData("_group/kit_with_rose.jpg", 0.2127f)] // odd width and height
    public void Gives_ONNX_Runtimes_maps_for_a_pyramid_level(string photo, float scale)
    {
        var sessions = mtcnn.Services.GetRequiredService<OnnxSessionFactory>();
        var kernel = PNetKernel.Load(sessions.ModelPath(MtcnnFaceDetector.PNetFile), threads: 2);
        using var session = sessions.Open(MtcnnFaceDetector.PNetFile);

        var image = mtcnn.Decode(photo);
        int width = (int)Math.Ceiling(image.Width * scale), height = (int)Math.Ceiling(image.Height * scale);
        var pyramid = new HalvingPyramid(image);
        var planes = new float[3 * width * height];
        AreaResampler.ResizeToPlanes(pyramid, width, height, planes);
        // The same level in the kernel's padded layout, as the detector resizes into it.
        var layout = PNetKernel.InputLayout.For(width, height);
        var padded = new float[layout.Length];
        AreaResampler.ResizeToPlanes(pyramid, width, height, padded, layout.RowStride);

        using var input = OrtValue.CreateTensorValueFromMemory(planes, [1, 3, height, width]);
        using var expected = session.Run(new RunOptions(), ["input"], [input], ["probabilities", "box_regression"]);
        var shape = expected[0].GetTensorTypeAndShape().Shape;
        var (columns, rows) = PNetKernel.OutputSize(width, height);
        Assert.Equal([1L, 2, rows, columns], shape);

        var cells = rows * columns;
        var face = new float[cells];
        var regression = new float[4 * cells];
        kernel.Run(padded, width, height, face, regression);

        var faceError = MaxDifference(expected[0].GetTensorDataAsSpan<float>()[cells..], face);
        var regressionError = MaxDifference(expected[1].GetTensorDataAsSpan<float>(), regression);
        output.WriteLine($"{photo} at {width}x{height}: {rows}x{columns} cells, largest difference: probability {faceError:E2}, offsets {regressionError:E2}");
        Assert.True(faceError < 1e-5, $"face probability differs by {faceError}");
        Assert.True(regressionError < 1e-4, $"box offsets differ by {regressionError}");
    }

    [Theory]
    [InlineData("_group/2008_002470.jpg", 1)]
    [InlineData("_group/2008_002470.jpg", 8)]
    [InlineData("_group/2008_002470.jpg", 37)] // several mosaics of eight, the last one part full
    public void RNet_gives_ONNX_Runtimes_scores_for_crops(string photo, int count)
    {
        var sessions = mtcnn.Services.GetRequiredService<OnnxSessionFactory>();
        var kernel = RNetKernel.Load(sessions.ModelPath(MtcnnFaceDetector.RNetFile), threads: 2);
        using var session = sessions.Open(MtcnnFaceDetector.RNetFile);

        // The photo's faces first, then crops of every size and place, some reaching outside the photo (black there),
        // as P-Net's candidates are.
        var image = mtcnn.Decode(photo);
        var faces = mtcnn.Detector.DetectWithLandmarks(image);
        var pyramid = new HalvingPyramid(image);
        const int size = RNetKernel.InputSize, plane = 3 * size * size;
        var crops = new float[count * plane];
        var random = new Random(count);
        for (var i = 0; i < count; i++)
        {
            if (i < faces.Count)
            {
                var box = faces[i].Face.Box;
                AreaResampler.CropToPlanes(pyramid, box.X, box.Y, Math.Max(box.Width, box.Height), size, crops.AsSpan(i * plane, plane));
                continue;
            }
            var side = 12 + random.NextSingle() * 150;
            AreaResampler.CropToPlanes(pyramid, random.NextSingle() * image.Width - side / 2, random.NextSingle() * image.Height - side / 2,
                side, size, crops.AsSpan(i * plane, plane));
        }

        using var input = OrtValue.CreateTensorValueFromMemory(crops, [count, 3, size, size]);
        using var expected = session.Run(new RunOptions(), ["input"], [input], ["probabilities", "box_regression"]);
        var face = new float[count];
        var regression = new float[4 * count];
        kernel.Run(crops, count, face, regression);

        var expectedFace = expected[0].GetTensorDataAsSpan<float>().ToArray().Where((_, i) => i % 2 == 1).ToArray();
        var faceError = MaxDifference(expectedFace, face);
        var regressionError = MaxDifference(expected[1].GetTensorDataAsSpan<float>(), regression);
        output.WriteLine($"{count} crops of {photo}: face probabilities {face.Min():F3}-{face.Max():F3}; largest difference: probability {faceError:E2}, offsets {regressionError:E2}");
        Assert.True(faceError < 1e-5, $"face probability differs by {faceError}");
        Assert.True(regressionError < 1e-4, $"box offsets differ by {regressionError}");
    }

    [Fact]
    public async Task The_detector_finds_the_same_faces_with_ONNX_Runtime_running_the_nets()
    {
        await using var ort = ModelsFixture.BuildServices(new Dictionary<string, string?>
        {
            ["Inference:Detector"] = "Mtcnn", ["Inference:MtcnnKernels"] = "false",
        });
        var withOrt = Assert.IsType<MtcnnFaceDetector>(ort.GetRequiredService<IFaceDetector>());
        foreach (var photo in new[] { "_group/2008_002470.jpg", "_group/2008_002506.jpg", "Barack_Obama/Barack_Obama_0001.jpg" })
        {
            var image = mtcnn.Decode(photo);
            var expected = withOrt.DetectWithLandmarks(image);
            var actual = mtcnn.Detector.DetectWithLandmarks(image);
            output.WriteLine($"{photo}: {expected.Count} faces with ONNX Runtime, {actual.Count} with the kernel");
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].Face.Box.IntersectionOverUnion(actual[i].Face.Box) > 0.99, $"{photo}: face {i} moved");
                Assert.Equal(expected[i].Face.Score, actual[i].Face.Score, 3);
            }
        }
    }

    private static double MaxDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (var i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }
}
