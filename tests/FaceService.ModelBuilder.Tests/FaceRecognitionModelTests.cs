using FaceService.ModelBuilder.Tests.TestSupport;

namespace FaceService.ModelBuilder.Tests;

public sealed class FaceRecognitionModelTests
{
    private const int Size = 150;

    [Fact]
    public void Different_faces_give_different_embeddings_and_the_same_person_is_closer()
    {
        using var runner = new OnnxModelRunner(RepoPaths.RequireModel("face_recognition.onnx"));
        float[] Embed(string photo) =>
            runner.Run("input", Chip(photo), 1, 3, Size, Size)["embedding"].Values;

        float[] clooney1 = Embed("George_Clooney/George_Clooney_0001.jpg");
        float[] clooney2 = Embed("George_Clooney/George_Clooney_0002.jpg");
        float[] streisand = Embed("Barbra_Streisand/Barbra_Streisand_0001.jpg");

        Assert.All(clooney1.Concat(clooney2).Concat(streisand), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(128, clooney1.Length);

        float same = Distance(clooney1, clooney2);
        float different = Distance(clooney1, streisand);
        Assert.True(different > 0.1f, $"embeddings of different people are almost equal (distance {different})");
        Assert.True(same < different, $"same person {same} is not closer than different people {different}");
    }

    // LFW deep-funneled photos are 250x250 with the face centred; the centre 150x150 is a loose face chip.
    private static float[] Chip(string photo) =>
        ImageTensors.CenterCrop(ImageTensors.Load(RepoPaths.RequireFacePhoto(photo)), Size);

    private static float Distance(float[] a, float[] b) =>
        MathF.Sqrt(a.Zip(b).Sum(pair => (pair.First - pair.Second) * (pair.First - pair.Second)));
}
