using Xunit.Abstractions;

namespace FaceService.ModelBuilder.Tests.Parity;

public sealed class LandmarksParityTests(LandmarksModel model, ITestOutputHelper output)
    : IClassFixture<LandmarksModel>
{
    private const float MaxPixelDifference = 0.5f;

    public static TheoryData<string> Inputs => ParityFixtures.Names(ParityFixtures.Landmarks);

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Landmarks_match_face_api(string name)
    {
        LandmarksOutput expected = ParityFixtures.Landmarks.Inputs.Single(i => i.Name == name);
        ParityInput input = ParityInputSet.Matching(expected);

        // The model gives x,y relative to the input; face-api's positions are those times the input side.
        float[] actual = model.Run(input, "landmarks").Select(v => v * input.Width).ToArray();

        Assert.Equal(expected.Landmarks.Length, actual.Length);
        float difference = ParityMath.MaxAbsDifference(expected.Landmarks, actual);
        output.WriteLine($"{name}: max |landmark difference| = {difference:E3} px");
        Assert.True(difference <= MaxPixelDifference,
            $"{name}: landmarks differ from face-api by up to {difference:F3} px (allowed {MaxPixelDifference} px).");
    }
}
