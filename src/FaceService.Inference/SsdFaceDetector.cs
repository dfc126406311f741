using System.Buffers;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace FaceService.Inference;

/// <summary>
/// SSD MobileNetV1 face detector (face-api's ssd_mobilenetv1): the image is padded to a square at the bottom/right,
/// resized to 512x512, scored by the net; C# does the threshold, greedy NMS and the minimum size.
/// </summary>
public sealed class SsdFaceDetector : IFaceDetector, IDisposable
{
    public const string ModelFile = "ssd_mobilenetv1.onnx";
    public const int InputSize = 512;
    private const int Anchors = 5118;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float _scoreThreshold;
    private readonly float _iouThreshold;
    private readonly int _minFaceSize;
    private readonly int _maxFaces;

    public SsdFaceDetector(OnnxSessionFactory sessions, InferenceOptions options)
    {
        _session = sessions.Open(ModelFile);
        _scoreThreshold = options.DetectorScoreThreshold;
        _iouThreshold = options.NmsIouThreshold;
        _minFaceSize = options.MinFaceSize;
        _maxFaces = options.MaxFacesPerImage;
    }

    public IReadOnlyList<DetectedFace> Detect(RgbaImage image) => DetectBatch([image])[0];

    /// <summary>Detects faces in several images with one model run.</summary>
    public IReadOnlyList<DetectedFace>[] DetectBatch(IReadOnlyList<RgbaImage> images)
    {
        if (images.Count == 0) return [];
        const int planeSize = 3 * InputSize * InputSize;
        var input = ArrayPool<float>.Shared.Rent(images.Count * planeSize);
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                var image = images[i];
                var scale = (float)InputSize / Math.Max(image.Width, image.Height);
                SkiaRendering.RenderPlanar(image, SKMatrix.CreateScale(scale, scale), InputSize, null,
                    input.AsSpan(i * planeSize, planeSize));
            }

            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                input.AsMemory(0, images.Count * planeSize), [images.Count, 3, InputSize, InputSize]);
            using var outputs = _session.Run(_runOptions, ["input"], [inputValue], ["boxes", "scores"]);
            var boxes = outputs[0].GetTensorDataAsSpan<float>();
            var scores = outputs[1].GetTensorDataAsSpan<float>();

            var results = new IReadOnlyList<DetectedFace>[images.Count];
            for (var i = 0; i < images.Count; i++)
                results[i] = Decode(boxes.Slice(i * Anchors * 4, Anchors * 4), scores.Slice(i * Anchors, Anchors), images[i]);
            return results;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>Threshold, NMS, then boxes in original pixels (clamped), minimum size, largest first.</summary>
    private List<DetectedFace> Decode(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, RgbaImage image)
    {
        var candidates = new List<int>();
        for (var a = 0; a < scores.Length; a++)
            if (scores[a] > _scoreThreshold) candidates.Add(a);
        var candidateScores = new float[candidates.Count];
        for (var c = 0; c < candidates.Count; c++) candidateScores[c] = scores[candidates[c]];
        var order = candidates.ToArray();
        Array.Sort(candidateScores, order);
        Array.Reverse(order);

        var kept = new List<int>();
        foreach (var anchor in order)
        {
            var suppressed = false;
            foreach (var other in kept)
                if (Iou(boxes.Slice(anchor * 4, 4), boxes.Slice(other * 4, 4)) > _iouThreshold) { suppressed = true; break; }
            if (!suppressed) kept.Add(anchor);
        }

        // Box coordinates are fractions of the padded square, whose side is the image's longer side.
        float side = Math.Max(image.Width, image.Height);
        var faces = new List<DetectedFace>(kept.Count);
        foreach (var anchor in kept)
        {
            var b = boxes.Slice(anchor * 4, 4);
            var top = Math.Clamp(Math.Min(b[0], b[2]) * side, 0, image.Height);
            var left = Math.Clamp(Math.Min(b[1], b[3]) * side, 0, image.Width);
            var bottom = Math.Clamp(Math.Max(b[0], b[2]) * side, 0, image.Height);
            var right = Math.Clamp(Math.Max(b[1], b[3]) * side, 0, image.Width);
            var box = new FaceBox(left, top, right - left, bottom - top);
            if (Math.Min(box.Width, box.Height) >= _minFaceSize) faces.Add(new DetectedFace(box, scores[anchor]));
        }
        faces.Sort((x, y) => y.Box.Area.CompareTo(x.Box.Area));
        if (faces.Count > _maxFaces) faces.RemoveRange(_maxFaces, faces.Count - _maxFaces);
        return faces;
    }

    /// <summary>Intersection over union of two (ymin, xmin, ymax, xmax) boxes.</summary>
    private static float Iou(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float ay0 = Math.Min(a[0], a[2]), ax0 = Math.Min(a[1], a[3]), ay1 = Math.Max(a[0], a[2]), ax1 = Math.Max(a[1], a[3]);
        float by0 = Math.Min(b[0], b[2]), bx0 = Math.Min(b[1], b[3]), by1 = Math.Max(b[0], b[2]), bx1 = Math.Max(b[1], b[3]);
        var areaA = (ay1 - ay0) * (ax1 - ax0);
        var areaB = (by1 - by0) * (bx1 - bx0);
        if (areaA <= 0 || areaB <= 0) return 0;
        var intersection = Math.Max(0, Math.Min(ay1, by1) - Math.Max(ay0, by0)) * Math.Max(0, Math.Min(ax1, bx1) - Math.Max(ax0, bx0));
        return intersection / (areaA + areaB - intersection);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
