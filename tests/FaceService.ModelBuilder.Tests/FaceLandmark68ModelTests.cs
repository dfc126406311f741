using FaceService.ModelBuilder.Tests.TestSupport;

namespace FaceService.ModelBuilder.Tests;

public sealed class FaceLandmark68ModelTests
{
    private const int Size = 112;

    [Fact]
    public void Landmarks_of_a_face_crop_lie_in_the_crop_in_anatomical_order()
    {
        // The centre of a 250x250 LFW photo holds the face; 140x140 around it, resized to 112, is a face crop.
        using var photo = ImageTensors.Load(RepoPaths.RequireFacePhoto("Justin_Leonard/Justin_Leonard_0001.jpg"));
        using var crop = new SkiaSharp.SKBitmap(140, 140);
        Assert.True(photo.ExtractSubset(crop, SkiaSharp.SKRectI.Create(55, 55, 140, 140)));
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel("face_landmark_68.onnx"));

        float[] points = runner.Run("input", ImageTensors.Resized(crop, Size), 1, 3, Size, Size)["landmarks"].Values;

        Assert.Equal(136, points.Length);
        Assert.All(points, v => Assert.InRange(v, -0.1f, 1.1f));
        (float X, float Y) Mean(int from, int to) =>
            (Enumerable.Range(from, to - from + 1).Average(i => points[2 * i]),
             Enumerable.Range(from, to - from + 1).Average(i => points[2 * i + 1]));
        var rightEye = Mean(36, 41); // the subject's right eye, on the image's left
        var leftEye = Mean(42, 47);
        var nose = Mean(27, 35);
        var mouth = Mean(48, 67);
        var jaw = Mean(0, 16);
        Assert.True(rightEye.X < leftEye.X, $"eyes {rightEye} {leftEye}");
        Assert.True(Math.Max(rightEye.Y, leftEye.Y) < nose.Y && nose.Y < mouth.Y, $"eyes {rightEye} {leftEye}, nose {nose}, mouth {mouth}");
        Assert.InRange(nose.X, rightEye.X, leftEye.X);
        Assert.True(jaw.Y > rightEye.Y, $"jaw {jaw} above the eyes");
    }
}
