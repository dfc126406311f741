namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>The fixtures and the C# input generator must describe the same inputs, from the expected face-api.</summary>
public sealed class ParityFixtureTests
{
    [Fact]
    public void Fixtures_cover_exactly_the_generated_inputs()
    {
        string[] fixtureNames = ParityFixtures.Recognition.Inputs.Select(i => i.Name)
            .Concat(ParityFixtures.Landmarks.Inputs.Select(i => i.Name))
            .Concat(ParityFixtures.Detector.Inputs.Select(i => i.Name))
            .Order(StringComparer.Ordinal)
            .ToArray();
        string[] generatedNames = ParityInputSet.All.Select(i => i.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(generatedNames, fixtureNames);
    }

    [Fact]
    public void Fixtures_come_from_the_face_api_release_the_models_are_converted_from()
    {
        (string FaceApi, string Tfjs)[] sources =
        [
            (ParityFixtures.Recognition.FaceApi, ParityFixtures.Recognition.Tfjs),
            (ParityFixtures.Landmarks.FaceApi, ParityFixtures.Landmarks.Tfjs),
            (ParityFixtures.Detector.FaceApi, ParityFixtures.Detector.Tfjs),
        ];

        // face-api 1.7.15 is built against tfjs 4.22.0.
        Assert.All(sources, source => Assert.Equal((SourcePackages.FaceApi.Version, "4.22.0"), source));
    }
}
