using System.Buffers;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using FaceService.Inference.Imaging;
using FaceService.Inference.Runtime;

namespace FaceService.Inference.Detection;

/// <summary>A face found or checked by MTCNN's O-Net: box, face probability and its five landmarks.</summary>
/// <param name="Landmarks">Left eye, right eye, nose tip, left and right mouth corner (image left/right), original pixels.</param>
public sealed record MtcnnFace(DetectedFace Face, Point2[] Landmarks);

/// <summary>
/// MTCNN (Zhang et al., 2016) as in facenet's align/detect_face.py, the detector of the FaceNet authors' public
/// implementation: P-Net slides a 12x12 window over an image pyramid (factor 0.709, from the minimum face size down to
/// 12 px), R-Net re-scores each candidate at 24x24, O-Net at 48x48 gives the final probability, box and five
/// landmarks. Thresholds 0.6 / 0.7 / 0.7; NMS IoU 0.5 within a pyramid level, 0.7 over all levels, 0.7 after R-Net,
/// and 0.7 over the smaller box ('Min') after O-Net; boxes are squared before each crop and moved by each net's
/// regression. Geometry is continuous (a P-Net cell covers exactly its window's pixels), where facenet rounds to
/// whole pixels on MATLAB's 1-based grid; crops outside the image are black, as facenet pads them.
/// P-Net runs once per pyramid level (the levels differ in size), R-Net and O-Net once per batch of candidates.
/// As an <see cref="IFaceDetector"/> it returns boxes in the SSD's frame (<see cref="ToSsdFrame"/>), for the landmark
/// net; <see cref="DetectWithLandmarks"/> gives O-Net's own boxes and five landmarks.
/// </summary>
public sealed class MtcnnFaceDetector : IFaceDetector, IDisposable
{
    public const string PNetFile = "mtcnn_pnet.onnx";
    public const string RNetFile = "mtcnn_rnet.onnx";
    public const string ONetFile = "mtcnn_onet.onnx";

    public const float PyramidFactor = 0.709f;
    public const float PNetThreshold = 0.6f;
    public const float RNetThreshold = 0.7f;
    public const float ONetThreshold = 0.7f;

    private const int Window = 12;
    private const int Stride = 2;
    private const int RNetSize = 24;
    private const int ONetSize = 48;
    private const float LevelNms = 0.5f;
    private const float PyramidNms = 0.7f;
    private const float RNetNms = 0.7f;
    private const float ONetNms = 0.7f;

    // Candidates per R-Net/O-Net run: a busy 12-megapixel photo can propose thousands; this bounds the input tensor.
    private const int MaxBatch = 256;

    // From this many candidates on, their crops are cut on all cores.
    private const int ParallelCrops = 16;

    private readonly InferenceSession _pnet;
    private readonly InferenceSession _rnet;
    private readonly InferenceSession _onet;
    private readonly ModelRunner _runner;
    // P-Net and R-Net computed on the CPU without ONNX Runtime, where the models run on the CPU and it can (PNetKernel,
    // RNetKernel); their runs pass the same gate as the sessions' runs.
    private readonly PNetKernel? _pnetKernel;
    private readonly RNetKernel? _rnetKernel;
    private readonly ModelRunGate _runGate;
    private readonly int _minFaceSize;
    private readonly int _minBoxSize;
    private readonly int _maxFaces;

    public MtcnnFaceDetector(OnnxSessionFactory sessions, InferenceOptions options)
    {
        _pnet = sessions.Open(PNetFile);
        _rnet = sessions.Open(RNetFile);
        _onet = sessions.Open(ONetFile);
        _runner = sessions.CreateRunner();
        _runGate = sessions.RunGate;
        if (options.MtcnnKernels && sessions.ExecutionProvider == "CPU" && PNetKernel.IsSupported)
        {
            _pnetKernel = PNetKernel.Load(sessions.ModelPath(PNetFile), sessions.IntraOpThreads);
            _rnetKernel = RNetKernel.Load(sessions.ModelPath(RNetFile), sessions.IntraOpThreads);
        }
        _minFaceSize = options.MtcnnMinFaceSize;
        _minBoxSize = options.MinFaceSize;
        _maxFaces = options.MaxFacesPerImage;
    }

    /// <summary>
    /// The faces with boxes in the SSD's frame (<see cref="ToSsdFrame"/>), which the 68-point landmark net expects;
    /// after O-Net's threshold, NMS and the minimum size; largest area first.
    /// </summary>
    public IReadOnlyList<DetectedFace> Detect(RgbaImage image) =>
        Select(image, Cascade(image).Select(f => (ToSsdFrame(f.Box), f.Score, f.Landmarks))).Select(f => f.Face).ToArray();

    /// <summary>The faces with O-Net's own boxes and five landmarks; after O-Net's threshold, NMS and the minimum size; largest area first.</summary>
    public IReadOnlyList<MtcnnFace> DetectWithLandmarks(RgbaImage image) => Select(image, Cascade(image));

    /// <summary>
    /// The box face-api's SSD draws around the face O-Net boxed: each edge moved by a fixed share of the O-Net box's
    /// width (left, right) or height (top, bottom). The shares are the medians over the central faces of the lfw-dev
    /// photos where both detectors found one (`bench detectors` prints them): the SSD's box is about 6 % wider and
    /// starts 5 % lower than O-Net's, which reaches further up the forehead. The landmark net was trained on crops
    /// like the SSD's: with O-Net's own boxes the pipeline's LFW-protocol accuracy on lfw-dev was 98.63 % (11 errors
    /// in 560 pairs), with these 98.83 % (6 errors).
    /// </summary>
    public static FaceBox ToSsdFrame(FaceBox onet)
    {
        float left = onet.X + SsdLeft * onet.Width, right = onet.Right + SsdRight * onet.Width;
        float top = onet.Y + SsdTop * onet.Height, bottom = onet.Bottom + SsdBottom * onet.Height;
        return new FaceBox(left, top, right - left, bottom - top);
    }

    private const float SsdLeft = -0.025f, SsdTop = 0.051f, SsdRight = 0.036f, SsdBottom = -0.004f;

    /// <summary>P-Net, R-Net and O-Net: O-Net's regressed boxes (not clipped) with their five landmarks, after the last NMS.</summary>
    private List<(FaceBox Box, float Score, Point2[] Landmarks)> Cascade(RgbaImage image)
    {
        var pyramid = new HalvingPyramid(image);
        List<Candidate> candidates = ProposeWithPNet(pyramid);
        if (candidates.Count == 0) return [];

        candidates = Score(pyramid, candidates, _rnet, RNetSize, landmarks: null);
        candidates.RemoveAll(c => !(c.Score > RNetThreshold));
        candidates = Nms(candidates, RNetNms, overSmaller: false);
        Regress(candidates);
        if (candidates.Count == 0) return [];

        var points = new List<Point2[]>();
        candidates = Score(pyramid, candidates, _onet, ONetSize, points);
        var faces = new List<(Candidate Box, Point2[] Landmarks)>();
        for (var i = 0; i < candidates.Count; i++)
            if (candidates[i].Score > ONetThreshold) faces.Add((candidates[i], points[i]));
        var regressed = faces.Select(f => f.Box).ToList();
        Regress(regressed);
        return NmsIndices(regressed, ONetNms, overSmaller: true).Select(i => (regressed[i].ToBox(), regressed[i].Score, faces[i].Landmarks)).ToList();
    }

    /// <summary>
    /// O-Net's verdict on boxes from elsewhere (another detector): each box squared about its centre, cut out, scored;
    /// one result per box, same order, with O-Net's regressed box and landmarks, whatever the probability.
    /// </summary>
    public IReadOnlyList<MtcnnFace> Verify(RgbaImage image, IReadOnlyList<FaceBox> boxes)
    {
        if (boxes.Count == 0) return [];
        var candidates = boxes.Select(b => Candidate.Squared(b.X, b.Y, b.Right, b.Bottom)).ToList();
        var points = new List<Point2[]>();
        candidates = Score(new HalvingPyramid(image), candidates, _onet, ONetSize, points);
        Regress(candidates);
        return candidates.Select((c, i) => new MtcnnFace(new DetectedFace(c.ToBox(), c.Score), points[i])).ToArray();
    }

    /// <summary>Stage 1: P-Net over the pyramid; NMS per level and over all levels, then P-Net's regression.</summary>
    private List<Candidate> ProposeWithPNet(HalvingPyramid pyramid)
    {
        var all = new List<Candidate>();
        var level = new List<Candidate>();
        var image = pyramid.Photo;
        // Scale s maps a face of minFaceSize / factor^k pixels onto P-Net's 12-pixel window.
        for (var scale = (float)Window / _minFaceSize; Math.Min(image.Width, image.Height) * scale >= Window; scale *= PyramidFactor)
        {
            // Each axis is scaled to whole pixels exactly, as facenet resizes to (ceil(w·s), ceil(h·s)).
            int width = (int)Math.Ceiling(image.Width * scale), height = (int)Math.Ceiling(image.Height * scale);
            level.Clear();
            RunPNet(pyramid, width, height, (float)width / image.Width, (float)height / image.Height, level);
            foreach (var i in NmsIndices(level, LevelNms, overSmaller: false)) all.Add(level[i]);
        }

        var proposals = Nms(all, PyramidNms, overSmaller: false);
        Regress(proposals);
        return proposals;
    }

    /// <summary>P-Net on one level (the photo resized to width x height); cells over the threshold, in photo pixels.</summary>
    private void RunPNet(HalvingPyramid pyramid, int width, int height, float scaleX, float scaleY, List<Candidate> level)
    {
        // The kernel reads the level in its own padded layout, which the resize writes directly; ONNX Runtime plain planes.
        var layout = _pnetKernel is null ? new PNetKernel.InputLayout(width, 3 * width * height) : PNetKernel.InputLayout.For(width, height);
        var input = ScratchBuffers.Rent<float>(layout.Length);
        try
        {
            AreaResampler.ResizeToPlanes(pyramid, width, height, input.AsMemory(0, layout.Length), layout.RowStride);
            if (_pnetKernel is null)
            {
                using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                    input.AsMemory(0, layout.Length), [1, 3, height, width]);
                using var outputs = _runner.Run(_pnet, ["input"], [inputValue], ["probabilities", "box_regression"]);
                var shape = outputs[0].GetTensorTypeAndShape().Shape;
                int rows = (int)shape[2], columns = (int)shape[3];
                AddCells(outputs[0].GetTensorDataAsSpan<float>()[(rows * columns)..], outputs[1].GetTensorDataAsSpan<float>(), rows, columns, scaleX, scaleY, level);
                return;
            }

            var (outputColumns, outputRows) = PNetKernel.OutputSize(width, height);
            var cells = outputRows * outputColumns;
            var maps = ScratchBuffers.Rent<float>(5 * cells);
            try
            {
                using (_runGate.Enter())
                    _pnetKernel.Run(input.AsSpan(0, layout.Length), width, height, maps.AsSpan(0, cells), maps.AsSpan(cells, 4 * cells));
                AddCells(maps.AsSpan(0, cells), maps.AsSpan(cells, 4 * cells), outputRows, outputColumns, scaleX, scaleY, level);
            }
            finally
            {
                ScratchBuffers.Return(maps);
            }
        }
        finally
        {
            ScratchBuffers.Return(input);
        }
    }

    /// <summary>The cells of P-Net's maps (face probability; four box offset maps) over the threshold, in photo pixels.</summary>
    private static void AddCells(ReadOnlySpan<float> face, ReadOnlySpan<float> regression, int rows, int columns, float scaleX, float scaleY,
        List<Candidate> level)
    {
        var cells = rows * columns;
        for (var row = 0; row < rows; row++)
        for (var column = 0; column < columns; column++)
        {
            var cell = row * columns + column;
            if (!(face[cell] >= PNetThreshold)) continue;
            level.Add(new Candidate(
                Stride * column / scaleX, Stride * row / scaleY, (Stride * column + Window) / scaleX, (Stride * row + Window) / scaleY,
                face[cell], regression[cell], regression[cells + cell], regression[2 * cells + cell], regression[3 * cells + cell]));
        }
    }

    /// <summary>
    /// Runs R-Net or O-Net on every candidate, each squared about its centre and cut out at the net's size: the result
    /// keeps the squared box with the net's probability and regression (and, for O-Net, the landmarks in pixels).
    /// </summary>
    private List<Candidate> Score(HalvingPyramid pyramid, List<Candidate> candidates, InferenceSession net, int size, List<Point2[]>? landmarks)
    {
        var scored = new List<Candidate>(candidates.Count);
        var planeSize = 3 * size * size;
        var outputNames = landmarks is null ? new[] { "probabilities", "box_regression" } : ["probabilities", "box_regression", "landmarks"];
        for (var start = 0; start < candidates.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, candidates.Count - start);
            var input = ScratchBuffers.Rent<float>(count * planeSize);
            try
            {
                for (var i = 0; i < count; i++) scored.Add(candidates[start + i].Square());
                // The part of the box outside the photo stays black, as facenet pads it. Crops are independent: many go
                // over the cores (a large photo proposes around a hundred to R-Net).
                var first = start;
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count >= ParallelCrops ? -1 : 1 }, i =>
                {
                    var box = scored[first + i];
                    AreaResampler.CropToPlanes(pyramid, box.Left, box.Top, box.Width, size, input.AsSpan(i * planeSize, planeSize));
                });

                if (net == _rnet && _rnetKernel is not null)
                {
                    var maps = ScratchBuffers.Rent<float>(5 * count);
                    try
                    {
                        using (_runGate.Enter())
                            _rnetKernel.Run(input.AsSpan(0, count * planeSize), count, maps.AsSpan(0, count), maps.AsSpan(count, 4 * count));
                        for (var i = 0; i < count; i++) SetScore(scored, start + i, maps[i], maps.AsSpan(count + 4 * i, 4));
                    }
                    finally
                    {
                        ScratchBuffers.Return(maps);
                    }
                    continue;
                }

                using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                    input.AsMemory(0, count * planeSize), [count, 3, size, size]);
                using var outputs = _runner.Run(net, ["input"], [inputValue], outputNames);
                var probabilities = outputs[0].GetTensorDataAsSpan<float>();
                var regression = outputs[1].GetTensorDataAsSpan<float>();
                for (var i = 0; i < count; i++)
                {
                    var box = scored[start + i];
                    SetScore(scored, start + i, probabilities[2 * i + 1], regression.Slice(4 * i, 4));
                    if (landmarks is null) continue;
                    // x of the five points, then y, as fractions of the input box.
                    var xy = outputs[2].GetTensorDataAsSpan<float>().Slice(10 * i, 10);
                    var points = new Point2[5];
                    for (var p = 0; p < 5; p++) points[p] = new Point2(box.Left + xy[p] * box.Width, box.Top + xy[5 + p] * box.Height);
                    landmarks.Add(points);
                }
            }
            finally
            {
                ScratchBuffers.Return(input);
            }
        }

        return scored;
    }

    /// <summary>A net's face probability and box regression (dx1, dy1, dx2, dy2) for the candidate at <paramref name="index"/>.</summary>
    private static void SetScore(List<Candidate> candidates, int index, float probability, ReadOnlySpan<float> regression) =>
        candidates[index] = candidates[index] with
        {
            Score = probability, Dx1 = regression[0], Dy1 = regression[1], Dx2 = regression[2], Dy2 = regression[3],
        };

    /// <summary>Moves each box's edges by its regression, in units of the box's width and height.</summary>
    private static void Regress(List<Candidate> candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            candidates[i] = c with
            {
                Left = c.Left + c.Dx1 * c.Width, Top = c.Top + c.Dy1 * c.Height,
                Right = c.Right + c.Dx2 * c.Width, Bottom = c.Bottom + c.Dy2 * c.Height,
                Dx1 = 0, Dy1 = 0, Dx2 = 0, Dy2 = 0,
            };
        }
    }

    private static List<Candidate> Nms(List<Candidate> candidates, float threshold, bool overSmaller) =>
        NmsIndices(candidates, threshold, overSmaller).Select(i => candidates[i]).ToList();

    private static List<int> NmsIndices(List<Candidate> candidates, float threshold, bool overSmaller) =>
        BoxSelection.Suppress(candidates.Count, i => candidates[i].ToBox(), i => candidates[i].Score, threshold, overSmaller);

    /// <summary>Boxes clipped to the image, the minimum size, largest first, at most the configured number.</summary>
    private List<MtcnnFace> Select(RgbaImage image, IEnumerable<(FaceBox Box, float Score, Point2[] Landmarks)> faces) =>
        BoxSelection.ClipAndLimit(faces.Select(f => new MtcnnFace(new DetectedFace(f.Box, f.Score), f.Landmarks)), f => f.Face.Box,
            (f, box) => f with { Face = f.Face with { Box = box } }, image.Width, image.Height, _minBoxSize, _maxFaces);

    public void Dispose()
    {
        _pnet.Dispose();
        _rnet.Dispose();
        _onet.Dispose();
        _runner.Dispose();
    }

    /// <summary>A box [Left, Right) x [Top, Bottom) in original pixels with a net's score and pending regression.</summary>
    private readonly record struct Candidate(float Left, float Top, float Right, float Bottom, float Score, float Dx1, float Dy1, float Dx2, float Dy2)
    {
        public float Width => Right - Left;
        public float Height => Bottom - Top;

        public static Candidate Squared(float left, float top, float right, float bottom) =>
            new Candidate(left, top, right, bottom, 0, 0, 0, 0, 0).Square();

        /// <summary>The square of side max(width, height) about the same centre (facenet's rerec).</summary>
        public Candidate Square()
        {
            var side = Math.Max(Width, Height);
            float centreX = (Left + Right) / 2, centreY = (Top + Bottom) / 2;
            return this with { Left = centreX - side / 2, Top = centreY - side / 2, Right = centreX + side / 2, Bottom = centreY + side / 2 };
        }

        public FaceBox ToBox() => new(Left, Top, Width, Height);
    }
}
