using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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
    FaceAlignment alignment,
    bool mirrorAveraging) : IFacePipeline
{
    public string ModelId => embedder.ModelId;

    public async Task<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceAnalysisOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);

        var image = decoder.Decode(encodedImage.Span);
        cancellationToken.ThrowIfCancellationRequested();

        IReadOnlyList<DetectedFace> faces = detector.Detect(image);
        var detected = faces.Count;
        if (detected == 0) return new ImageAnalysis(image.Width, image.Height, [], 0);
        if (options.PrimaryOnly && detected > 1)
            faces = [faces[PrimaryFace.Select(faces.Select(f => (f.Box, f.Score)).ToList(), image.Width, image.Height)]];
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
            embeddings = mirrorAveraging
                ? MirrorAverage(await embedder.EmbedAsync([.. chips, .. chips.Select(Mirrored)], cancellationToken).ConfigureAwait(false))
                : await embedder.EmbedAsync(chips, cancellationToken).ConfigureAwait(false);
        }

        var analyzed = new AnalyzedFace[faces.Count];
        for (var i = 0; i < analyzed.Length; i++)
            analyzed[i] = new AnalyzedFace(faces[i].Box, faces[i].Score, fivePoints[i],
                embeddings?[i], embeddings is null ? null : quantizer.Quantize(embeddings[i]));
        return new ImageAnalysis(image.Width, image.Height, analyzed, detected);
    }

    /// <summary>The chip flipped left to right.</summary>
    private static RgbaImage Mirrored(RgbaImage chip)
    {
        var pixels = new byte[chip.Pixels.Length];
        var source = MemoryMarshal.Cast<byte, uint>(chip.Pixels.AsSpan());
        var target = MemoryMarshal.Cast<byte, uint>(pixels.AsSpan());
        for (var y = 0; y < chip.Height; y++)
        {
            source.Slice(y * chip.Width, chip.Width).CopyTo(target.Slice(y * chip.Width, chip.Width));
            target.Slice(y * chip.Width, chip.Width).Reverse();
        }
        return new RgbaImage(chip.Width, chip.Height, pixels);
    }

    /// <summary>Embeddings of n chips followed by their n mirror images → n unit means (dlib's jitter idea, at its cheapest).</summary>
    private static float[][] MirrorAverage(float[][] embeddings)
    {
        var n = embeddings.Length / 2;
        var result = new float[n][];
        for (var i = 0; i < n; i++)
        {
            result[i] = new float[embeddings[i].Length];
            TensorPrimitives.Add(embeddings[i], embeddings[n + i], result[i]);
            EmbeddingMath.NormalizeInPlace(result[i]);
        }
        return result;
    }
}
