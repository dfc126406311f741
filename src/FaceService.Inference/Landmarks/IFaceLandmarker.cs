using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Landmarks;

/// <summary>A source of the 68 landmarks that place the chip: face-api's net or dlib's shape predictor (<see cref="InferenceOptions.Landmarker"/>).</summary>
public interface IFaceLandmarker
{
    /// <summary>68 landmarks for each box, in original-image pixels; one result per box, same order.</summary>
    IReadOnlyList<FaceLandmarks> Detect(RgbaImage image, IReadOnlyList<FaceBox> boxes);
}
