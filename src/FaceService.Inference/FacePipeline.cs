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

    public async Task<ImageAnalysis<FoundFace>> DetectAsync(ReadOnlyMemory<byte> encodedImage, CancellationToken cancellationToken = default)
    {
        var (image, faces, detected, cut) = await DetectAndCutAsync(encodedImage, FaceSelection.All, cancellationToken).ConfigureAwait(false);
        var found = cut.Select((face, i) => new FoundFace(faces[i].Box, faces[i].Score, face.FivePoints, face.Quality)).ToList();
        return new ImageAnalysis<FoundFace>(image.Width, image.Height, found, detected);
    }

    public async Task<ImageAnalysis<EmbeddedFace>> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceSelection selection, CancellationToken cancellationToken = default)
    {
        var (image, faces, detected, cut) = await DetectAndCutAsync(encodedImage, selection, cancellationToken).ConfigureAwait(false);
        if (faces.Count == 0) return new ImageAnalysis<EmbeddedFace>(image.Width, image.Height, [], detected);

        var chips = cut.Select(c => c.Chip).ToArray();
        var embeddings = options.MirrorAveraging
            ? MirrorAveraging.Average(await embedder.EmbedAsync(MirrorAveraging.WithMirrors(chips), cancellationToken).ConfigureAwait(false))
            : await embedder.EmbedAsync(chips, cancellationToken).ConfigureAwait(false);

        var embedded = new EmbeddedFace[faces.Count];
        for (var i = 0; i < embedded.Length; i++)
            embedded[i] = new EmbeddedFace(faces[i].Box, faces[i].Score, cut[i].FivePoints, cut[i].Quality, embeddings[i], quantizer.Quantize(embeddings[i]));
        return new ImageAnalysis<EmbeddedFace>(image.Width, image.Height, embedded, detected);
    }

    /// <summary>Decodes, detects and cuts the chips, the photo handed to Skia once for all of them.</summary>
    private async Task<(RgbaImage Image, IReadOnlyList<DetectedFace> Faces, int Detected, (Point2[] FivePoints, RgbaImage Chip, FaceQuality Quality)[] Cut)>
        DetectAndCutAsync(ReadOnlyMemory<byte> encodedImage, FaceSelection selection, CancellationToken cancellationToken)
    {
        var image = decoder.Decode(encodedImage.Span);
        using var photo = new PhotoForChips(image, aligner);
        try
        {
            var (faces, detected) = Detect(image, selection, cancellationToken);
            return (image, faces, detected, await Chips(photo, faces, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            await photo.MipmapsBuilt.ConfigureAwait(false);
        }
    }

    /// <summary>Landmarks (one run for all faces), chip and quality of each face; detect cuts the chips too, to measure their sharpness.</summary>
    private async Task<(Point2[] FivePoints, RgbaImage Chip, FaceQuality Quality)[]> Chips(PhotoForChips photo, IReadOnlyList<DetectedFace> faces,
        CancellationToken cancellationToken)
    {
        if (faces.Count == 0) return [];
        var landmarks = landmarker.Detect(photo.Image, [.. faces.Select(f => f.Box)]);
        cancellationToken.ThrowIfCancellationRequested();
        await photo.MipmapsBuilt.ConfigureAwait(false);
        return [.. faces.Select((face, i) =>
        {
            var fivePoints = landmarks[i].ToFivePoints();
            var chip = aligner.Cut(photo.Image, photo.Skia, face.Box, landmarks[i]);
            return (fivePoints, chip, qualityScorer.Score(face.Score, fivePoints, ChipSharpness.Measure(chip)));
        })];
    }

    /// <summary>Detects; of several faces, <see cref="FaceSelection.Primary"/> keeps the primary one.</summary>
    private (IReadOnlyList<DetectedFace> Faces, int Detected) Detect(RgbaImage image, FaceSelection selection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<DetectedFace> faces = detector.Detect(image);
        var detected = faces.Count;
        if (selection == FaceSelection.Primary && detected > 1)
            faces = [faces[PrimaryFace.Select(faces.Select(f => (f.Box, f.Score)).ToList(), image.Width, image.Height)]];
        cancellationToken.ThrowIfCancellationRequested();
        return (faces, detected);
    }

    /// <summary>
    /// The decoded photo handed to Skia once for all its chips. A chip is a strong downscale of a large photo, which
    /// Skia draws from the photo's mipmaps; building them reads every pixel (2-3 ms for 3 megapixels), so on a photo
    /// of at least <see cref="MipmapsAheadPixels"/> they are built on another core while the detector runs (one request
    /// at a time leaves a core idle for much of it). Dispose only after <see cref="MipmapsBuilt"/> completed: the build
    /// reads the pinned pixels.
    /// </summary>
    private sealed class PhotoForChips : IDisposable
    {
        private const long MipmapsAheadPixels = 1_000_000;

        public PhotoForChips(RgbaImage image, FaceChipAligner aligner)
        {
            Image = image;
            Skia = new SkiaSource(image);
            MipmapsBuilt = aligner.ReadsMipmaps && (long)image.Width * image.Height >= MipmapsAheadPixels
                ? Task.Run(Skia.BuildMipmaps)
                : Task.CompletedTask;
        }

        public RgbaImage Image { get; }

        public SkiaSource Skia { get; }

        public Task MipmapsBuilt { get; }

        public void Dispose() => Skia.Dispose();
    }
}
