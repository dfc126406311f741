using FaceService.Core.Embeddings;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference;

/// <summary>decode → detect → landmarks (one batched run per image) → chip → embed (micro-batched) → quantize.</summary>
public sealed class FacePipeline(
    IImageDecoder decoder,
    IFaceDetector detector,
    IFaceLandmarker landmarker,
    IFaceAligner aligner,
    IFaceEmbedder embedder,
    IEmbeddingQuantizer quantizer,
    FaceAlignment alignment) : IFacePipeline
{
    public string ModelId => embedder.ModelId;

    public async Task<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceAnalysisOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxFaces is <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxFaces must be positive.");

        var image = decoder.Decode(encodedImage.Span);
        cancellationToken.ThrowIfCancellationRequested();

        IReadOnlyList<DetectedFace> faces = detector.Detect(image);
        if (options.MaxFaces is { } max && faces.Count > max) faces = faces.Take(max).ToArray();
        if (faces.Count == 0) return new ImageAnalysis(image.Width, image.Height, []);
        cancellationToken.ThrowIfCancellationRequested();

        var boxes = faces.Select(f => f.Box).ToArray();
        var landmarks = landmarker.Detect(image, boxes);
        var fivePoints = landmarks.Select(l => l.ToFivePoints()).ToArray();
        cancellationToken.ThrowIfCancellationRequested();

        float[][]? embeddings = null;
        if (options.Embed)
        {
            var chips = new RgbaImage[faces.Count];
            for (var i = 0; i < chips.Length; i++)
                chips[i] = alignment == FaceAlignment.BoxCrop ? aligner.CropBox(image, boxes[i]) : aligner.Align(image, landmarks[i]);
            embeddings = await embedder.EmbedAsync(chips, cancellationToken).ConfigureAwait(false);
        }

        var analyzed = new AnalyzedFace[faces.Count];
        for (var i = 0; i < analyzed.Length; i++)
            analyzed[i] = new AnalyzedFace(faces[i].Box, faces[i].Score, fivePoints[i],
                embeddings?[i], embeddings is null ? null : quantizer.Quantize(embeddings[i]));
        return new ImageAnalysis(image.Width, image.Height, analyzed);
    }
}
