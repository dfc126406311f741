namespace FaceService.Core.Faces;

/// <summary>Which faces of an image to embed.</summary>
public enum FaceSelection
{
    /// <summary>Every face the detector found.</summary>
    All,
    /// <summary>Only the face a 1:1 request means (<see cref="PrimaryFace"/>).</summary>
    Primary,
}

/// <summary>A face as the detector and landmarks give it.</summary>
/// <param name="Landmarks">The 5 alignment points (eye centres, nose tip, mouth corners) in original-image pixels.</param>
/// <param name="Quality">How usable the face is for recognition, with its parts.</param>
public record FoundFace(FaceBox Box, float Score, IReadOnlyList<Point2> Landmarks, FaceQuality Quality);

/// <summary>A found face with its unit-length embedding and the 128-byte code it is stored as.</summary>
public sealed record EmbeddedFace(FaceBox Box, float Score, IReadOnlyList<Point2> Landmarks, FaceQuality Quality, float[] Embedding, sbyte[] Code)
    : FoundFace(Box, Score, Landmarks, Quality);

/// <summary>Faces of one image, largest first (or only the primary face, when asked for).</summary>
/// <param name="FacesDetected">Faces the detector found, also those left out by <see cref="FaceSelection.Primary"/>.</param>
public sealed record ImageAnalysis<TFace>(int ImageWidth, int ImageHeight, IReadOnlyList<TFace> Faces, int FacesDetected)
    where TFace : FoundFace;

/// <summary>decode → detect → landmarks → align → embed → quantize, for one uploaded image.</summary>
public interface IFacePipeline
{
    /// <summary>Identity of the recognition model (stored with codes; codes of different models are never compared).</summary>
    string ModelId { get; }

    /// <summary>Every face with its landmarks and quality; nothing is embedded.</summary>
    /// <exception cref="Imaging.ImageDecodeException">The bytes are not a decodable image within the limits.</exception>
    Task<ImageAnalysis<FoundFace>> DetectAsync(ReadOnlyMemory<byte> encodedImage, CancellationToken cancellationToken = default);

    /// <summary>The selected faces, embedded and quantized.</summary>
    /// <exception cref="Imaging.ImageDecodeException">The bytes are not a decodable image within the limits.</exception>
    Task<ImageAnalysis<EmbeddedFace>> AnalyzeAsync(ReadOnlyMemory<byte> encodedImage, FaceSelection selection, CancellationToken cancellationToken = default);
}
