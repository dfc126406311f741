using FaceService.ModelBuilder.Tests.TestSupport;

namespace FaceService.ModelBuilder.Tests;

public sealed class SsdMobilenetV1ModelTests
{
    private const int Size = 512;

    [Theory]
    [InlineData("George_Clooney/George_Clooney_0001.jpg")]
    [InlineData("Mary_Carey/Mary_Carey_0001.jpg")]
    public void Finds_the_centred_face_of_an_lfw_photo(string photo)
    {
        // LFW photos are square (250x250), so face-api's pad-to-square is a no-op and the photo is just resized.
        float[] input = ImageTensors.Resized(ImageTensors.Load(RepoPaths.RequireFacePhoto(photo)), Size);
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel("ssd_mobilenetv1.onnx"));

        Dictionary<string, (float[] Values, int[] Shape)> outputs = runner.Run("input", input, 1, 3, Size, Size);
        float[] scores = outputs["scores"].Values;
        float[] boxes = outputs["boxes"].Values;

        int best = Array.IndexOf(scores, scores.Max());
        Assert.True(scores[best] > 0.5f, $"top score {scores[best]}");
        float ymin = boxes[best * 4], xmin = boxes[best * 4 + 1], ymax = boxes[best * 4 + 2], xmax = boxes[best * 4 + 3];
        Assert.InRange((ymin + ymax) / 2, 0.35f, 0.65f);
        Assert.InRange((xmin + xmax) / 2, 0.35f, 0.65f);
        // The deep-funneled face spans roughly a third to a half of the photo.
        Assert.InRange(xmax - xmin, 0.2f, 0.7f);
        Assert.InRange(ymax - ymin, 0.2f, 0.8f);
    }

    [Fact]
    public void Scores_are_probabilities_and_a_landscape_has_no_confident_face()
    {
        float[] input = ImageTensors.Resized(ImageTensors.Load(RepoPaths.RequireFacePhoto("_noface/pilatus800.jpg")), Size);
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel("ssd_mobilenetv1.onnx"));

        float[] scores = runner.Run("input", input, 1, 3, Size, Size)["scores"].Values;

        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
        Assert.True(scores.Max() < 0.5f, $"top score on a landscape is {scores.Max()}");
    }
}
