using System.Text.Json;

namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>
/// Outputs of the original MTCNN TFLite files (TensorFlow Lite's WASM runtime) on the MTCNN parity inputs, written by
/// tests/parity/mtcnn/generate-fixtures.js.
/// </summary>
public sealed record MtcnnFixture<TOutput>(string Package, MtcnnFixtureModel Model, string Runtime, IReadOnlyList<TOutput> Inputs)
    where TOutput : IParityOutput;

public sealed record MtcnnFixtureModel(string File, string Sha256);

/// <summary>
/// P-Net's maps at sampled cells, each [row, col, p(not face), p(face), dx1, dy1, dx2, dy2] in image orientation,
/// and how many cells of the whole map reached P-Net's threshold.
/// </summary>
public sealed record PNetOutput(string Name, string Sha256, int OutputHeight, int OutputWidth, int CellsOverThreshold, float[][] Cells)
    : IParityOutput;

/// <summary>R-Net's (no landmarks) or O-Net's outputs for one 24x24 or 48x48 input.</summary>
public sealed record MtcnnStageOutput(string Name, string Sha256, float[] Probabilities, float[] Regression, float[]? Landmarks)
    : IParityOutput;

public static class MtcnnFixtures
{
    private static readonly Lazy<MtcnnFixture<PNetOutput>> PNetLazy = new(() => Load<PNetOutput>("pnet"));
    private static readonly Lazy<MtcnnFixture<MtcnnStageOutput>> RNetLazy = new(() => Load<MtcnnStageOutput>("rnet"));
    private static readonly Lazy<MtcnnFixture<MtcnnStageOutput>> ONetLazy = new(() => Load<MtcnnStageOutput>("onet"));

    public static MtcnnFixture<PNetOutput> PNet => PNetLazy.Value;

    public static MtcnnFixture<MtcnnStageOutput> RNet => RNetLazy.Value;

    public static MtcnnFixture<MtcnnStageOutput> ONet => ONetLazy.Value;

    public static TheoryData<string> Names<TOutput>(MtcnnFixture<TOutput> fixture)
        where TOutput : IParityOutput => new(fixture.Inputs.Select(i => i.Name));

    private static MtcnnFixture<TOutput> Load<TOutput>(string stage)
        where TOutput : IParityOutput
    {
        string path = Path.Combine(ParityFixtures.Directory, $"mtcnn-{stage}.json");
        return JsonSerializer.Deserialize<MtcnnFixture<TOutput>>(File.ReadAllText(path), JsonSerializerOptions.Web)
            ?? throw new InvalidDataException($"{path} is empty.");
    }
}
