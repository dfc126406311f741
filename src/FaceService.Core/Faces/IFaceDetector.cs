using FaceService.Core.Imaging;

namespace FaceService.Core.Faces;

public interface IFaceDetector
{
    /// <summary>Faces in original-image pixels, after score threshold, NMS and minimum size; largest area first.</summary>
    IReadOnlyList<DetectedFace> Detect(RgbaImage image);
}

public interface IFaceLandmarker
{
    /// <summary>68 landmarks for each box, in original-image pixels; one result per box, same order.</summary>
    IReadOnlyList<FaceLandmarks> Detect(RgbaImage image, IReadOnlyList<FaceBox> boxes);
}

public interface IFaceAligner
{
    /// <summary>Side of the square chip the recognition net takes.</summary>
    int ChipSize { get; }

    /// <summary>Warps the face to the canonical chip layout the recognition net was trained on.</summary>
    RgbaImage Align(RgbaImage image, FaceLandmarks landmarks);

    /// <summary>Baseline without landmarks: the detector box padded to a square and resized (face-api's way).</summary>
    RgbaImage CropBox(RgbaImage image, FaceBox box);
}

public interface IFaceEmbedder
{
    int Dimensions { get; }

    /// <summary>Model identity stored with each embedding; embeddings of different models are never compared.</summary>
    string ModelId { get; }

    /// <summary>One L2-normalised embedding per chip. Concurrent callers may share a batched model run.</summary>
    Task<float[][]> EmbedAsync(IReadOnlyList<RgbaImage> chips, CancellationToken cancellationToken = default);
}
