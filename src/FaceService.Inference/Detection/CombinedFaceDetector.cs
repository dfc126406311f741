using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Detection;

/// <summary>
/// Two detectors as one: the primary's faces plus the secondary's faces that overlap none of them (IoU ≤ 0.3 counts
/// as another face), largest first; with <paramref name="secondaryOnlyWhenNone"/> the secondary runs only for images
/// in which the primary finds nothing, so its cost is paid only there.
/// </summary>
public sealed class CombinedFaceDetector(IFaceDetector primary, IFaceDetector secondary, bool secondaryOnlyWhenNone, int maxFaces)
    : IFaceDetector, IDisposable
{
    private const float SameFaceIou = 0.3f;

    public IReadOnlyList<DetectedFace> Detect(RgbaImage image)
    {
        var faces = primary.Detect(image);
        if (secondaryOnlyWhenNone && faces.Count > 0) return faces;
        var added = secondary.Detect(image).Where(s => faces.All(f => f.Box.IntersectionOverUnion(s.Box) <= SameFaceIou)).ToArray();
        return added.Length == 0 ? faces : faces.Concat(added).OrderByDescending(f => f.Box.Area).Take(maxFaces).ToArray();
    }

    public void Dispose()
    {
        (primary as IDisposable)?.Dispose();
        (secondary as IDisposable)?.Dispose();
    }
}
