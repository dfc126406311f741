using System.Text.Json;

namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>
/// Outputs of the original face-api networks (tfjs) on the parity inputs, written by tests/parity/generate-fixtures.js.
/// </summary>
public sealed record ParityFixture<TOutput>(
    string FaceApi,
    string Tfjs,
    string Backend,
    DetectorOptions? Options,
    IReadOnlyList<TOutput> Inputs)
    where TOutput : IParityOutput;

public interface IParityOutput
{
    string Name { get; }

    string Sha256 { get; }
}

public sealed record DescriptorOutput(string Name, string Sha256, float[] Descriptor) : IParityOutput;

/// <summary>Landmarks as x0,y0,x1,y1,... in pixels of the 112x112 input.</summary>
public sealed record LandmarksOutput(string Name, string Sha256, float[] Landmarks) : IParityOutput;

public sealed record DetectorOutput(
    string Name,
    string Sha256,
    int AnchorCount,
    IReadOnlyList<FixtureDetection> Detections,
    IReadOnlyList<FixtureAnchor> TopAnchors) : IParityOutput;

/// <summary>A face-api detection: score and box (x, y, width, height) in input pixels.</summary>
public sealed record FixtureDetection(float Score, float[] Box);

/// <summary>Raw network output for one anchor: sigmoid score, box (ymin, xmin, ymax, xmax) relative to the input.</summary>
public sealed record FixtureAnchor(int Index, float Score, float[] Box);

public sealed record DetectorOptions(float MinConfidence, int MaxResults, float IouThreshold);

public static class ParityFixtures
{
    public static string Directory =>
        Path.Combine(RepoPaths.Root, "tests", "FaceService.ModelBuilder.Tests", "Parity", "fixtures");

    private static readonly Lazy<ParityFixture<DescriptorOutput>> RecognitionLazy =
        new(() => Load<DescriptorOutput>("recognition"));

    private static readonly Lazy<ParityFixture<LandmarksOutput>> LandmarksLazy =
        new(() => Load<LandmarksOutput>("landmarks"));

    private static readonly Lazy<ParityFixture<DetectorOutput>> DetectorLazy =
        new(() => Load<DetectorOutput>("detector"));

    public static ParityFixture<DescriptorOutput> Recognition => RecognitionLazy.Value;

    public static ParityFixture<LandmarksOutput> Landmarks => LandmarksLazy.Value;

    public static ParityFixture<DetectorOutput> Detector => DetectorLazy.Value;

    /// <summary>Input names of a fixture, as xunit theory data.</summary>
    public static TheoryData<string> Names<TOutput>(ParityFixture<TOutput> fixture)
        where TOutput : IParityOutput => new(fixture.Inputs.Select(i => i.Name));

    private static ParityFixture<TOutput> Load<TOutput>(string network)
        where TOutput : IParityOutput
    {
        string path = Path.Combine(Directory, network + ".json");
        return JsonSerializer.Deserialize<ParityFixture<TOutput>>(File.ReadAllText(path), JsonSerializerOptions.Web)
            ?? throw new InvalidDataException($"{path} is empty.");
    }
}
