using System.Buffers;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Landmarks;

/// <summary>
/// face-api's 68-point landmark net: each box is cut out, padded to a square (centred, black), resized to 112x112;
/// all faces of an image go through one model run.
/// </summary>
public sealed class Landmark68Net : IFaceLandmarker, IDisposable
{
    public const string ModelFile = "face_landmark_68.onnx";
    public const int InputSize = 112;
    private const int PlaneSize = 3 * InputSize * InputSize;

    private readonly InferenceSession _session;
    private readonly ModelRunner _runner;

    public Landmark68Net(OnnxSessionFactory sessions)
    {
        _session = sessions.Open(ModelFile);
        _runner = sessions.CreateRunner();
    }

    public IReadOnlyList<FaceLandmarks> Detect(RgbaImage image, IReadOnlyList<FaceBox> boxes)
    {
        if (boxes.Count == 0) return [];
        var input = ArrayPool<float>.Shared.Rent(boxes.Count * PlaneSize);
        var placements = new CropPlacement[boxes.Count];
        try
        {
            for (var i = 0; i < boxes.Count; i++)
            {
                placements[i] = CropPlacement.Centred(boxes[i], InputSize, image);
                SkiaRendering.RenderPlanar(image, placements[i].ToMatrix(), InputSize, placements[i].SourceRect,
                    input.AsSpan(i * PlaneSize, PlaneSize));
            }

            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                input.AsMemory(0, boxes.Count * PlaneSize), [boxes.Count, 3, InputSize, InputSize]);
            using var outputs = _runner.Run(_session, ["input"], [inputValue], ["landmarks"]);
            var coordinates = outputs[0].GetTensorDataAsSpan<float>();

            var result = new FaceLandmarks[boxes.Count];
            for (var i = 0; i < boxes.Count; i++)
            {
                var points = new Point2[FaceLandmarks.Count];
                var xy = coordinates.Slice(i * 2 * FaceLandmarks.Count, 2 * FaceLandmarks.Count);
                for (var k = 0; k < points.Length; k++)
                    points[k] = placements[i].ToSource(xy[2 * k] * InputSize, xy[2 * k + 1] * InputSize);
                result[i] = new FaceLandmarks(points);
            }
            return result;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runner.Dispose();
    }
}

/// <summary>
/// A box cut out on whole pixels (start floored, end ceiled, clipped to the image, as face-api's extractFaces cuts) and
/// scaled to fit a size x size square with its shorter side centred, the rest black: face-api's padToSquare(centred) +
/// resize, as one transform.
/// </summary>
internal readonly record struct CropPlacement(SKRect SourceRect, float Scale, float OffsetX, float OffsetY)
{
    public static CropPlacement Centred(FaceBox box, int size, RgbaImage image)
    {
        var left = Math.Clamp(MathF.Floor(box.X), 0, image.Width);
        var top = Math.Clamp(MathF.Floor(box.Y), 0, image.Height);
        var right = Math.Clamp(MathF.Ceiling(box.Right), 0, image.Width);
        var bottom = Math.Clamp(MathF.Ceiling(box.Bottom), 0, image.Height);
        if (!(right > left && bottom > top)) throw new ArgumentException($"Face box {box} has no area inside the image.", nameof(box));
        float width = right - left, height = bottom - top;
        var scale = size / Math.Max(width, height);
        return new CropPlacement(new SKRect(left, top, right, bottom), scale, (size - width * scale) / 2, (size - height * scale) / 2);
    }

    /// <summary>Source pixels to target pixels.</summary>
    public SKMatrix ToMatrix() => new(
        Scale, 0, OffsetX - SourceRect.Left * Scale,
        0, Scale, OffsetY - SourceRect.Top * Scale,
        0, 0, 1);

    public Point2 ToSource(float targetX, float targetY) =>
        new(SourceRect.Left + (targetX - OffsetX) / Scale, SourceRect.Top + (targetY - OffsetY) / Scale);
}
