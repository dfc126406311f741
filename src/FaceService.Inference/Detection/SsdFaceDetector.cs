using System.Buffers;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Detection;

/// <summary>
/// SSD MobileNetV1 face detector (face-api's ssd_mobilenetv1). Pass 1 is face-api's: the image padded to a square at the
/// bottom/right and resized to 512x512. The optional pass 2 (same model run, batched) shows the image zoomed out, centred
/// on a larger square: the SSD scores faces that fill the frame (tight portrait crops) low at full size and finds them
/// there. By default pass 2 runs only for images where pass 1 found nothing. C# does the threshold, greedy NMS over the
/// passes, the minimum size and the limit.
/// </summary>
public sealed class SsdFaceDetector : IFaceDetector, IDisposable
{
    public const string ModelFile = "ssd_mobilenetv1.onnx";
    public const int InputSize = 512;
    private const int Anchors = 5118;
    private const int PlaneSize = 3 * InputSize * InputSize;

    private readonly InferenceSession _session;
    private readonly ModelRunner _runner;
    private readonly float _scoreThreshold;
    private readonly float _iouThreshold;
    private readonly int _minFaceSize;
    private readonly int _maxFaces;
    private readonly float[] _zoomOuts;
    private readonly bool _zoomOutOnlyWhenNoFace;

    public SsdFaceDetector(OnnxSessionFactory sessions, InferenceOptions options)
    {
        _session = sessions.Open(ModelFile);
        _runner = sessions.CreateRunner();
        _scoreThreshold = options.DetectorScoreThreshold;
        _iouThreshold = options.NmsIouThreshold;
        _minFaceSize = options.MinFaceSize;
        _maxFaces = options.MaxFacesPerImage;
        _zoomOuts = options.DetectorZoomOutPass > 1 ? [1f, options.DetectorZoomOutPass] : [1f];
        _zoomOutOnlyWhenNoFace = options.DetectorZoomOutOnlyWhenNoFace;
    }

    public IReadOnlyList<DetectedFace> Detect(RgbaImage image) => DetectBatch([image])[0];

    /// <summary>Detects faces in several images: one model run, or two when the zoom-out pass is only a fallback.</summary>
    public IReadOnlyList<DetectedFace>[] DetectBatch(IReadOnlyList<RgbaImage> images)
    {
        if (images.Count == 0) return [];
        if (!_zoomOutOnlyWhenNoFace || _zoomOuts.Length == 1) return Run(images, _zoomOuts);

        var results = Run(images, [1f]);
        var missed = Enumerable.Range(0, images.Count).Where(i => results[i].Count == 0).ToArray();
        if (missed.Length == 0) return results;
        // Pass 1 found nothing in these, so NMS over both passes is NMS over the zoom-out pass alone.
        var retried = Run(missed.Select(i => images[i]).ToArray(), [_zoomOuts[1]]);
        for (var m = 0; m < missed.Length; m++) results[missed[m]] = retried[m];
        return results;
    }

    /// <summary>One model run over every image at every zoom-out; NMS per image over its passes.</summary>
    private IReadOnlyList<DetectedFace>[] Run(IReadOnlyList<RgbaImage> images, float[] zoomOuts)
    {
        var passes = images.Count * zoomOuts.Length;
        var input = ArrayPool<float>.Shared.Rent(passes * PlaneSize);
        try
        {
            var placements = new InputPlacement[passes];
            for (var i = 0; i < images.Count; i++)
            for (var z = 0; z < zoomOuts.Length; z++)
            {
                var pass = i * zoomOuts.Length + z;
                placements[pass] = InputPlacement.For(images[i], zoomOuts[z]);
                SkiaRendering.RenderPlanar(images[i], placements[pass].ToMatrix(), InputSize, null, input.AsSpan(pass * PlaneSize, PlaneSize));
            }

            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                input.AsMemory(0, passes * PlaneSize), [passes, 3, InputSize, InputSize]);
            using var outputs = _runner.Run(_session, ["input"], [inputValue], ["boxes", "scores"]);
            var boxes = outputs[0].GetTensorDataAsSpan<float>();
            var scores = outputs[1].GetTensorDataAsSpan<float>();

            var results = new IReadOnlyList<DetectedFace>[images.Count];
            var candidates = new List<DetectedFace>();
            for (var i = 0; i < images.Count; i++)
            {
                candidates.Clear();
                for (var z = 0; z < zoomOuts.Length; z++)
                {
                    var pass = i * zoomOuts.Length + z;
                    AddCandidates(boxes.Slice(pass * Anchors * 4, Anchors * 4), scores.Slice(pass * Anchors, Anchors), placements[pass], candidates);
                }
                results[i] = Select(candidates, images[i]);
            }
            return results;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>Anchors over the score threshold, their (ymin, xmin, ymax, xmax) boxes mapped to original pixels.</summary>
    private void AddCandidates(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, InputPlacement placement, List<DetectedFace> candidates)
    {
        for (var a = 0; a < scores.Length; a++)
        {
            if (!(scores[a] > _scoreThreshold)) continue;
            var b = boxes.Slice(a * 4, 4);
            var (left, top) = placement.ToSource(Math.Clamp(Math.Min(b[1], b[3]), 0, 1), Math.Clamp(Math.Min(b[0], b[2]), 0, 1));
            var (right, bottom) = placement.ToSource(Math.Clamp(Math.Max(b[1], b[3]), 0, 1), Math.Clamp(Math.Max(b[0], b[2]), 0, 1));
            candidates.Add(new DetectedFace(new FaceBox(left, top, right - left, bottom - top), scores[a]));
        }
    }

    /// <summary>Greedy NMS (highest score first), then boxes clipped to the image, minimum size, largest first.</summary>
    private List<DetectedFace> Select(List<DetectedFace> candidates, RgbaImage image)
    {
        var kept = BoxSelection.Suppress(candidates.Count, i => candidates[i].Box, i => candidates[i].Score, _iouThreshold);
        return BoxSelection.ClipAndLimit(kept.Select(i => candidates[i]), f => f.Box, (f, box) => f with { Box = box },
            image.Width, image.Height, _minFaceSize, _maxFaces);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runner.Dispose();
    }

    /// <summary>
    /// Where the image sits in the 512 input: zoom-out 1 fills it from the top-left (the rest black, as face-api pads);
    /// zoom-out k centres it in a square k times its longer side.
    /// </summary>
    private readonly record struct InputPlacement(float Scale, float OffsetX, float OffsetY)
    {
        public static InputPlacement For(RgbaImage image, float zoomOut)
        {
            float side = Math.Max(image.Width, image.Height);
            var scale = InputSize / (side * zoomOut);
            return zoomOut <= 1
                ? new InputPlacement(scale, 0, 0)
                : new InputPlacement(scale, (InputSize - image.Width * scale) / 2, (InputSize - image.Height * scale) / 2);
        }

        public SKMatrix ToMatrix() => new(Scale, 0, OffsetX, 0, Scale, OffsetY, 0, 0, 1);

        /// <summary>A point given as fractions of the input square, in original pixels.</summary>
        public (float X, float Y) ToSource(float fractionX, float fractionY) =>
            ((fractionX * InputSize - OffsetX) / Scale, (fractionY * InputSize - OffsetY) / Scale);
    }
}
