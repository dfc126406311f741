using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Inference.Alignment;
using FaceService.Inference.Detection;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;

namespace FaceService.Inference;

/// <summary>decode → detect → landmarks (one batched run per image) → chip → quality → embed (micro-batched) → quantize.</summary>
public sealed class FacePipeline(
    SkiaImageDecoder decoder,
    IFaceDetector detector,
    IFaceLandmarker landmarker,
    FaceChipAligner aligner,
    FaceQualityScorer qualityScorer,
    BatchingFaceEmbedder embedder,
    IEmbeddingQuantizer quantizer,
    InferenceOptions options) : IFacePipeline
{
    public string ModelId => embedder.ModelId;

    public Task<ImageAnalysis<FoundFace>> DetectAsync(ReadOnlyMemory<byte> encodedImage, CancellationToken cancellationToken = default)
    {
        var (image, faces, detected) = Detect(encodedImage, FaceSelection.All, cancellationToken);
        var found = Chips(image, faces, cancellationToken)
            .Select((face, i) => new FoundFace(faces[i].Box, faces[i].Score, face.FivePoints, face.Quality)).ToList();
        return Task.FromResult(new ImageAnalysis<FoundFace>(image.Width, image.Height, found, detected));
    }

    public async Task<ImageAnalysis<EmbeddedFace>> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceSelection selection, CancellationToken cancellationToken = default)
    {
        var (image, faces, detected) = Detect(encodedImage, selection, cancellationToken);
        if (faces.Count == 0) return new ImageAnalysis<EmbeddedFace>(image.Width, image.Height, [], detected);

        var cut = Chips(image, faces, cancellationToken);
        var chips = cut.Select(c => c.Chip).ToArray();
        var embeddings = options.MirrorAveraging
            ? MirrorAveraging.Average(await embedder.EmbedAsync(MirrorAveraging.WithMirrors(chips), cancellationToken).ConfigureAwait(false))
            : await embedder.EmbedAsync(chips, cancellationToken).ConfigureAwait(false);

        var embedded = new EmbeddedFace[faces.Count];
        for (var i = 0; i < embedded.Length; i++)
            embedded[i] = new EmbeddedFace(faces[i].Box, faces[i].Score, cut[i].FivePoints, cut[i].Quality, embeddings[i], quantizer.Quantize(embeddings[i]));
        return new ImageAnalysis<EmbeddedFace>(image.Width, image.Height, embedded, detected);
    }

    /// <summary>Landmarks (one run for all faces), chip and quality of each face; detect cuts the chips too, to measure their sharpness.</summary>
    private (Point2[] FivePoints, RgbaImage Chip, FaceQuality Quality)[] Chips(RgbaImage image, IReadOnlyList<DetectedFace> faces,
        CancellationToken cancellationToken)
    {
        if (faces.Count == 0) return [];
        var landmarks = landmarker.Detect(image, [.. faces.Select(f => f.Box)]);
        cancellationToken.ThrowIfCancellationRequested();
        return [.. faces.Select((face, i) =>
        {
            var fivePoints = landmarks[i].ToFivePoints();
            var chip = aligner.Cut(image, face.Box, landmarks[i]);
            return (fivePoints, chip, qualityScorer.Score(face.Score, fivePoints, ChipSharpness.Measure(chip)));
        })];
    }

    /// <summary>Decodes and detects; of several faces, <see cref="FaceSelection.Primary"/> keeps the primary one.</summary>
    private (RgbaImage Image, IReadOnlyList<DetectedFace> Faces, int Detected) Detect(ReadOnlyMemory<byte> encodedImage, FaceSelection selection,
        CancellationToken cancellationToken)
    {
        var image = decoder.Decode(encodedImage.Span);
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<DetectedFace> faces = detector.Detect(image);
        var detected = faces.Count;
        if (selection == FaceSelection.Primary && detected > 1)
            faces = [faces[PrimaryFace.Select(faces.Select(f => (f.Box, f.Score)).ToList(), image.Width, image.Height)]];
        cancellationToken.ThrowIfCancellationRequested();
        return (image, faces, detected);
    }
}
