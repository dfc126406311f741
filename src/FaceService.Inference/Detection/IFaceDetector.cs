using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Detection;

/// <summary>A face detector: the SSD, MTCNN, or the two combined (<see cref="InferenceOptions.Detector"/>).</summary>
public interface IFaceDetector
{
    /// <summary>Faces in original-image pixels, after score threshold, NMS and minimum size; largest area first.</summary>
    IReadOnlyList<DetectedFace> Detect(RgbaImage image);
}
