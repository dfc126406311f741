using FaceService.Core.Imaging;
using FaceService.Inference.Alignment;

namespace FaceService.Inference.Tests;

/// <summary>
/// Embeddings of the largest face of every single-face dev photo, for each way of cutting the chip. Detection and
/// landmarks run once per photo; the chips differ only in alignment.
/// </summary>
public sealed class DevSetEmbeddingsFixture : IAsyncLifetime
{
    private readonly ModelsFixture _models = new();

    public IReadOnlyList<string> Persons { get; private set; } = [];
    public IReadOnlyDictionary<FaceAlignment, float[][]> Embeddings { get; private set; } = new Dictionary<FaceAlignment, float[][]>();
    public ModelsFixture Models => _models;

    public IReadOnlyList<(string Person, float[] Embedding)> Faces(FaceAlignment alignment) =>
        Persons.Zip(Embeddings[alignment], (p, e) => (p, e)).ToList();

    public async Task InitializeAsync()
    {
        await _models.InitializeAsync();
        var aligners = Enum.GetValues<FaceAlignment>().ToDictionary(a => a, a => new FaceChipAligner(a));
        var chips = aligners.Keys.ToDictionary(a => a, _ => new List<RgbaImage>());
        var persons = new List<string>();
        foreach (var (path, person) in DevPhotos.SingleFacePhotos)
        {
            var image = _models.Decoder.Decode(DevPhotos.Read(path));
            var faces = _models.Detector.Detect(image);
            if (faces.Count == 0) throw new InvalidOperationException($"No face in {path}.");
            var landmarks = _models.Landmarker.Detect(image, [faces[0].Box])[0];
            foreach (var (alignment, aligner) in aligners)
                chips[alignment].Add(aligner.Cut(image, faces[0].Box, landmarks));
            persons.Add(person);
        }
        var embeddings = new Dictionary<FaceAlignment, float[][]>();
        foreach (var (alignment, list) in chips) embeddings[alignment] = await _models.Embedder.EmbedAsync(list);
        Persons = persons;
        Embeddings = embeddings;
    }

    public Task DisposeAsync() => _models.DisposeAsync();
}
