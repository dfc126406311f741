using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference.Landmarks;

/// <summary>A dlib rectangle: whole pixels, right and bottom inclusive (width = right − left + 1).</summary>
public readonly record struct DlibRectangle(int Left, int Top, int Right, int Bottom)
{
    public int Width => Right - Left + 1;
    public int Height => Bottom - Top + 1;

    /// <summary>The rectangle dlib's drectangle → rectangle conversion gives: each edge rounded half up.</summary>
    public static DlibRectangle Round(double left, double top, double right, double bottom) =>
        new(RoundHalfUp(left), RoundHalfUp(top), RoundHalfUp(right), RoundHalfUp(bottom));

    internal static int RoundHalfUp(double value) => (int)Math.Floor(value + 0.5);
}

/// <summary>
/// dlib's 68-point face landmark shape predictor (<c>shape_predictor_68_face_landmarks.dat</c>, the landmarks dlib's face
/// recognition ResNet was trained with), re-implemented to give exactly what dlib 19.24's
/// <c>shape_predictor::operator()(img, rect)</c> gives for an RGB image: per cascade, the similarity transform from
/// the initial to the current shape places the feature pixels, each rounded to a whole pixel and read as dlib's
/// intensity (R+G+B)/3, 0 outside the image; every tree walks to a leaf (difference > threshold → left child) whose
/// increment is added; the final shape is mapped into the image and rounded to whole pixels as dlib's
/// full_object_detection stores it. The model was trained on boxes from dlib's HOG detector, so each face's box is the
/// one HOG would give (<see cref="DlibBoxMapping"/>): placed from seed landmarks when there are any, otherwise from the
/// service's detector box.
/// </summary>
/// <param name="seed">Landmarks to place each face's box from (face-api's net, owned and disposed here); null = the detector box.</param>
public sealed class DlibShapePredictor(DlibShapePredictorModel model, IFaceLandmarker? seed = null) : IFaceLandmarker, IDisposable
{
    public const string ModelFile = "dlib_shape_predictor_68.bin";

    // How many leaves ahead of the one being added are fetched into the cache.
    private const int LeafPrefetchDistance = 8;

    private readonly DlibShapePredictorModel _model = model.Parts == FaceLandmarks.Count
        ? model
        : throw new ArgumentException($"The shape predictor has {model.Parts} parts; the pipeline needs {FaceLandmarks.Count}.", nameof(model));

    // The initial shape's mean and spread, the fixed "from" side of every cascade's similarity fit.
    private readonly (double MeanX, double MeanY, double SumSquares) _initial = Spread(model.InitialShape);

    public DlibShapePredictorModel Model => _model;

    public static DlibShapePredictor Open(string modelsDirectory, IFaceLandmarker? seed = null)
    {
        var path = Path.Combine(modelsDirectory, ModelFile);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Shape predictor '{path}' is missing. Build the models with models/build.sh or point Inference:ModelsPath at them.", path);
        return new DlibShapePredictor(DlibShapePredictorModel.Load(path), seed);
    }

    public IReadOnlyList<FaceLandmarks> Detect(RgbaImage image, IReadOnlyList<FaceBox> boxes)
    {
        var rects = seed is null
            ? boxes.Select(DlibBoxMapping.FromDetectorBox).ToArray()
            : seed.Detect(image, boxes).Select(l => DlibBoxMapping.FromLandmarks(l.Points, _model.InitialShape)).ToArray();
        var result = new FaceLandmarks[rects.Length];
        for (var i = 0; i < result.Length; i++) result[i] = ToImageLandmarks(Predict(image, rects[i]));
        return result;
    }

    /// <summary>
    /// dlib's points in the service's image coordinates: dlib puts pixel i's centre at i, the service (Skia, face-api)
    /// at i + 0.5, so half a pixel is added.
    /// </summary>
    public static FaceLandmarks ToImageLandmarks(IEnumerable<Point2> dlibPoints) =>
        new([.. dlibPoints.Select(p => new Point2(p.X + 0.5f, p.Y + 0.5f))]);

    public void Dispose() => (seed as IDisposable)?.Dispose();

    /// <summary>dlib's shape_predictor(img, rect): the landmarks in dlib's pixel coordinates (pixel i's centre at i), whole numbers.</summary>
    public unsafe Point2[] Predict(RgbaImage image, DlibRectangle rect)
    {
        var m = _model;
        var coordinates = 2 * m.Parts;
        Span<float> shape = stackalloc float[coordinates];
        Span<float> features = m.FeaturesPerCascade <= 4096 ? stackalloc float[m.FeaturesPerCascade] : new float[m.FeaturesPerCascade];
        Span<int> leafOffsets = m.TreesPerCascade <= 4096 ? stackalloc int[m.TreesPerCascade] : new int[m.TreesPerCascade];
        m.InitialShape.CopyTo(shape);
        var toImage = new BoxToImage(rect);
        var (splits, leaves, trees) = (m.SplitsPerTree, m.LeavesPerTree, m.TreesPerCascade);

        fixed (float* leafValues = m.LeafValues)
        {
            for (var cascade = 0; cascade < m.Cascades; cascade++)
            {
                ReadFeaturePixels(image, toImage, shape, cascade, features);
                // A cascade's trees all read the same feature pixels, so every leaf is known before any is added.
                for (var t = 0; t < trees; t++)
                {
                    var tree = cascade * trees + t;
                    var node = 0;
                    while (node < splits)
                    {
                        var split = tree * splits + node;
                        var difference = features[m.SplitFeatures[2 * split]] - features[m.SplitFeatures[2 * split + 1]];
                        node = difference > m.SplitThresholds[split] ? 2 * node + 1 : 2 * node + 2;
                    }
                    leafOffsets[t] = (tree * leaves + node - splits) * coordinates;
                }
                // The leaves are 66 MB, mostly outside the caches: fetch a few leaves ahead while adding, in tree order as dlib
                // does (about 20 % faster over varied faces: 0.6 against 0.8 ms a face).
                for (var t = 0; t < trees; t++)
                {
                    if (Sse.IsSupported && t + LeafPrefetchDistance < trees)
                        for (var line = 0; line < coordinates; line += 16) Sse.Prefetch0(leafValues + leafOffsets[t + LeafPrefetchDistance] + line);
                    TensorPrimitives.Add(shape, new ReadOnlySpan<float>(leafValues + leafOffsets[t], coordinates), shape);
                }
            }
        }

        var points = new Point2[m.Parts];
        for (var i = 0; i < points.Length; i++)
            points[i] = new Point2(DlibRectangle.RoundHalfUp(toImage.X(shape[2 * i])), DlibRectangle.RoundHalfUp(toImage.Y(shape[2 * i + 1])));
        return points;
    }

    /// <summary>dlib's extract_feature_pixel_values: each feature pixel of the cascade placed relative to the current shape.</summary>
    private void ReadFeaturePixels(RgbaImage image, BoxToImage toImage, ReadOnlySpan<float> shape, int cascade, Span<float> features)
    {
        // dlib fits the similarity in double and applies it in float (matrix_cast<float>).
        var (a, b) = SimilarityFromInitial(shape);
        float m00 = (float)a, m01 = (float)-b, m10 = (float)b, m11 = (float)a;
        var first = cascade * features.Length;
        var anchors = _model.AnchorIndices.AsSpan(first, features.Length);
        var deltas = _model.AnchorDeltas.AsSpan(2 * first, 2 * features.Length);
        var pixels = image.Pixels;
        for (var i = 0; i < features.Length; i++)
        {
            float dx = deltas[2 * i], dy = deltas[2 * i + 1];
            var anchor = anchors[i];
            var nx = m00 * dx + m01 * dy + shape[2 * anchor];
            var ny = m10 * dx + m11 * dy + shape[2 * anchor + 1];
            int x = DlibRectangle.RoundHalfUp(toImage.X(nx)), y = DlibRectangle.RoundHalfUp(toImage.Y(ny));
            if ((uint)x < (uint)image.Width && (uint)y < (uint)image.Height)
            {
                var p = (y * image.Width + x) * 4;
                features[i] = (pixels[p] + pixels[p + 1] + pixels[p + 2]) / 3;
            }
            else
            {
                features[i] = 0;
            }
        }
    }

    /// <summary>
    /// The least-squares similarity (x' = a·x − b·y + tx, y' = b·x + a·y + ty) from the initial to the current shape:
    /// the closed form of the Umeyama fit dlib's find_similarity_transform computes by SVD.
    /// </summary>
    private (double A, double B) SimilarityFromInitial(ReadOnlySpan<float> shape)
    {
        var initial = _model.InitialShape;
        var n = shape.Length / 2;
        double meanX = 0, meanY = 0;
        for (var i = 0; i < n; i++) { meanX += shape[2 * i]; meanY += shape[2 * i + 1]; }
        meanX /= n;
        meanY /= n;
        double dot = 0, cross = 0;
        for (var i = 0; i < n; i++)
        {
            double px = initial[2 * i] - _initial.MeanX, py = initial[2 * i + 1] - _initial.MeanY;
            double qx = shape[2 * i] - meanX, qy = shape[2 * i + 1] - meanY;
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
        }
        return (dot / _initial.SumSquares, cross / _initial.SumSquares);
    }

    private static (double MeanX, double MeanY, double SumSquares) Spread(float[] shape)
    {
        var n = shape.Length / 2;
        double meanX = 0, meanY = 0;
        for (var i = 0; i < n; i++) { meanX += shape[2 * i]; meanY += shape[2 * i + 1]; }
        meanX /= n;
        meanY /= n;
        double sumSquares = 0;
        for (var i = 0; i < n; i++)
            sumSquares += (shape[2 * i] - meanX) * (shape[2 * i] - meanX) + (shape[2 * i + 1] - meanY) * (shape[2 * i + 1] - meanY);
        return (meanX, meanY, sumSquares);
    }

    /// <summary>dlib's unnormalizing_tform(rect): (0,0) → the top-left pixel, (1,1) → the bottom-right pixel; in double.</summary>
    private readonly struct BoxToImage(DlibRectangle rect)
    {
        private readonly double _left = rect.Left, _top = rect.Top, _width = rect.Right - rect.Left, _height = rect.Bottom - rect.Top;

        public double X(float x) => _width * x + _left;
        public double Y(float y) => _height * y + _top;
    }
}

/// <summary>
/// The box dlib's HOG face detector (get_frontal_face_detector) would give for a face, the kind of box dlib's shape
/// predictor was trained on; HOG boxes are square and sit lower on the face than the SSD's. Two ways, both fitted on
/// lfw-dev against the boxes HOG finds there:
/// <list type="bullet">
/// <item>from the service's detector box: with its side s = √(width·height), a square of side
/// <see cref="SideScale"/>·s centred at the box's centre moved by (<see cref="CentreOffsetX"/>·s, <see cref="CentreOffsetY"/>·s);</item>
/// <item>from landmarks (face-api's): the predictor's mean shape fitted to them by scale and shift (least squares)
/// places a square of side s; HOG's box is centred (<see cref="LandmarkCentreOffsetX"/>·s, <see cref="LandmarkCentreOffsetY"/>·s)
/// from its centre with right − left = <see cref="LandmarkSideScale"/>·s.</item>
/// </list>
/// Edges are rounded to whole pixels.
/// </summary>
/// <remarks>
/// Fitted on lfw-dev (2026-12-03): medians over the 1,551 detector faces of its 1,549 photos that pair (IoU ≥ 0.3) with
/// a box dlib's HOG detector finds in the same photo (upsampled once, as dlib's Python API with upsample 1). From the
/// detector box, the mapped box overlaps HOG's with IoU 0.78 on average (edges off by 6.7 % of the side), but in about
/// 4 % of faces the SSD box is off by a quarter of its side and the predictor, seeded there, fails; from face-api's
/// landmarks the box follows the face. HOG's own sizes come in steps of 6/5, which bounds how close any map can get.
/// Refit with <c>tests/parity/dlib/bin/dlib_reference hog &lt;rgb-dir&gt; &gt; hog.tsv</c> and
/// <c>dotnet run -c Release --project src/FaceService.Bench -- dlib-box-fit --hog hog.tsv</c> (tests/parity/dlib/README.md).
/// </remarks>
public static class DlibBoxMapping
{
    public const double CentreOffsetX = -0.0164;
    public const double CentreOffsetY = 0.0364;
    public const double SideScale = 0.9758;

    public const double LandmarkCentreOffsetX = -0.0315;
    public const double LandmarkCentreOffsetY = 0.0249;
    public const double LandmarkSideScale = 1.0494;

    public static DlibRectangle FromDetectorBox(FaceBox box) => Map(box, CentreOffsetX, CentreOffsetY, SideScale);

    /// <summary>The side of a detector box: the geometric mean of its width and height.</summary>
    public static double Side(FaceBox box) => Math.Sqrt((double)box.Width * box.Height);

    public static DlibRectangle Map(FaceBox box, double centreOffsetX, double centreOffsetY, double sideScale)
    {
        var side = Side(box);
        var centreX = box.X + box.Width / 2.0 + centreOffsetX * side;
        var centreY = box.Y + box.Height / 2.0 + centreOffsetY * side;
        var half = sideScale * side / 2;
        // Continuous edges to the pixels they cover: dlib's right and bottom are the last pixel inside.
        return DlibRectangle.Round(centreX - half, centreY - half, centreX + half - 1, centreY + half - 1);
    }

    public static DlibRectangle FromLandmarks(IReadOnlyList<Point2> points, float[] meanShape) =>
        FromFit(FitMeanShape(points, meanShape), LandmarkCentreOffsetX, LandmarkCentreOffsetY, LandmarkSideScale);

    /// <summary>The box whose unit square carries the mean shape (box-normalised x0, y0, …) closest to the points.</summary>
    public static (double Left, double Top, double Side) FitMeanShape(IReadOnlyList<Point2> points, float[] meanShape)
    {
        if (meanShape.Length != 2 * points.Count) throw new ArgumentException($"{points.Count} points for a mean shape of {meanShape.Length / 2}.", nameof(points));
        double mx = 0, my = 0, px = 0, py = 0;
        for (var k = 0; k < points.Count; k++) { mx += meanShape[2 * k]; my += meanShape[2 * k + 1]; px += points[k].X; py += points[k].Y; }
        (mx, my, px, py) = (mx / points.Count, my / points.Count, px / points.Count, py / points.Count);
        double dot = 0, norm = 0;
        for (var k = 0; k < points.Count; k++)
        {
            double dx = meanShape[2 * k] - mx, dy = meanShape[2 * k + 1] - my;
            dot += dx * (points[k].X - px) + dy * (points[k].Y - py);
            norm += dx * dx + dy * dy;
        }
        var side = dot / norm;
        return (px - side * mx, py - side * my, side);
    }

    /// <summary>
    /// The square centred (offsetX·side, offsetY·side) from the fitted box's centre with right − left = scale·side: the
    /// fit is in the landmarks' coordinates, and its offsets were measured against dlib's (l + r) / 2 centre.
    /// </summary>
    public static DlibRectangle FromFit((double Left, double Top, double Side) fit, double centreOffsetX, double centreOffsetY, double sideScale)
    {
        var centreX = fit.Left + fit.Side / 2 + centreOffsetX * fit.Side;
        var centreY = fit.Top + fit.Side / 2 + centreOffsetY * fit.Side;
        var half = sideScale * fit.Side / 2;
        return DlibRectangle.Round(centreX - half, centreY - half, centreX + half, centreY + half);
    }
}
