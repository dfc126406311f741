using Xunit.Abstractions;

namespace FaceService.ModelBuilder.Tests.Parity;

public sealed class RecognitionParityTests(RecognitionModel model, ITestOutputHelper output)
    : IClassFixture<RecognitionModel>
{
    private const float MaxDescriptorDifference = 1e-4f;

    public static TheoryData<string> Inputs => ParityFixtures.Names(ParityFixtures.Recognition);

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Descriptor_matches_face_api(string name)
    {
        DescriptorOutput expected = ParityFixtures.Recognition.Inputs.Single(i => i.Name == name);
        ParityInput input = ParityInputSet.Matching(expected);

        float[] actual = model.Run(input, "embedding");

        Assert.Equal(expected.Descriptor.Length, actual.Length);
        float difference = ParityMath.MaxAbsDifference(expected.Descriptor, actual);
        output.WriteLine($"{name}: max |descriptor difference| = {difference:E3}");
        Assert.True(difference <= MaxDescriptorDifference,
            $"{name}: descriptor differs from face-api by up to {difference:E3} (allowed {MaxDescriptorDifference:E0}).");
    }
}
