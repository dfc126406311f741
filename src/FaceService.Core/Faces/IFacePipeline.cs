namespace FaceService.Core.Faces;

/// <summary>What to compute for an image.</summary>
/// <param name="Embed">False for detect-only requests: no landmarks-to-chip warp, no recognition run.</param>
/// <param name="PrimaryOnly">Keep only the face a 1:1 request means (<see cref="Faces.PrimaryFace"/>), not every face.</param>
public sealed record FaceAnalysisOptions(bool Embed = true, bool PrimaryOnly = false)
{
    public static readonly FaceAnalysisOptions DetectOnly = new(Embed: false);
    public static readonly FaceAnalysisOptions AllFaces = new();
    public static readonly FaceAnalysisOptions Primary = new(PrimaryOnly: true);
}

/// <param name="Landmarks">The 5 alignment points (eye centres, nose tip, mouth corners) in original-image pixels.</param>
/// <param name="Embedding">Unit-length embedding, or null when not requested.</param>
/// <param name="Code">The 128-byte quantized embedding, or null when not requested.</param>
public sealed record AnalyzedFace(FaceBox Box, float Score, IReadOnlyList<Point2> Landmarks, float[]? Embedding, sbyte[]? Code);

/// <summary>Faces of one image, largest first (or only the primary face, when asked for).</summary>
/// <param name="FacesDetected">Faces the detector found, also those left out by <see cref="FaceAnalysisOptions.PrimaryOnly"/>.</param>
public sealed record ImageAnalysis(int ImageWidth, int ImageHeight, IReadOnlyList<AnalyzedFace> Faces, int FacesDetected);

/// <summary>decode → detect → landmarks → align → embed → quantize, for one uploaded image.</summary>
public interface IFacePipeline
{
    /// <summary>Identity of the recognition model (stored with codes; codes of different models are never compared).</summary>
    string ModelId { get; }

    /// <exception cref="Imaging.ImageDecodeException">The bytes are not a decodable image within the limits.</exception>
    Task<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceAnalysisOptions options, CancellationToken cancellationToken = default);
}
