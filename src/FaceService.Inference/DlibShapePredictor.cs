using System.Numerics.Tensors;
using FaceService.Core.Faces;
using FaceService.Core.Imaging;

namespace FaceService.Inference;

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
/// full_object_detection stores it. Seeded from the service's detector box mapped to the box dlib's HOG detector
/// would give (<see cref="DlibBoxMapping"/>), since the model was trained on HOG boxes.
/// </summary>
public sealed class DlibShapePredictor(DlibShapePredictorModel model) : IFaceLandmarker
{
    public const string ModelFile = "dlib_shape_predictor_68.bin";

    private readonly DlibShapePredictorModel _model = model.Parts == FaceLandmarks.Count
        ? model
        : throw new ArgumentException($"The shape predictor has {model.Parts} parts; the pipeline needs {FaceLandmarks.Count}.", nameof(model));

    // The initial shape's mean and spread, the fixed "from" side of every cascade's similarity fit.
    private readonly (double MeanX, double MeanY, double SumSquares) _initial = Spread(model.InitialShape);

    public static DlibShapePredictor Open(string modelsDirectory)
    {
        var path = Path.Combine(modelsDirectory, ModelFile);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Shape predictor '{path}' is missing. Build the models with models/build.sh or point Inference:ModelsPath at them.", path);
        return new DlibShapePredictor(DlibShapePredictorModel.Load(path));
    }

    public IReadOnlyList<FaceLandmarks> Detect(RgbaImage image, IReadOnlyList<FaceBox> boxes)
    {
        var result = new FaceLandmarks[boxes.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = new FaceLandmarks(Predict(image, DlibBoxMapping.FromDetectorBox(boxes[i])));
        return result;
    }

    /// <summary>dlib's shape_predictor(img, rect): the landmarks in image pixels, whole numbers.</summary>
    public Point2[] Predict(RgbaImage image, DlibRectangle rect)
    {
        var m = _model;
        var coordinates = 2 * m.Parts;
        Span<float> shape = stackalloc float[coordinates];
        Span<float> features = m.FeaturesPerCascade <= 4096 ? stackalloc float[m.FeaturesPerCascade] : new float[m.FeaturesPerCascade];
        m.InitialShape.CopyTo(shape);
        var toImage = new BoxToImage(rect);
        var (splits, leaves, trees) = (m.SplitsPerTree, m.LeavesPerTree, m.TreesPerCascade);

        for (var cascade = 0; cascade < m.Cascades; cascade++)
        {
            ReadFeaturePixels(image, toImage, shape, cascade, features);
            for (var tree = cascade * trees; tree < (cascade + 1) * trees; tree++)
            {
                var node = 0;
                while (node < splits)
                {
                    var split = tree * splits + node;
                    var difference = features[m.SplitFeatures[2 * split]] - features[m.SplitFeatures[2 * split + 1]];
                    node = difference > m.SplitThresholds[split] ? 2 * node + 1 : 2 * node + 2;
                }
                var leaf = (long)tree * leaves + node - splits;
                TensorPrimitives.Add(shape, m.LeafValues.AsSpan((int)(leaf * coordinates), coordinates), shape);
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
/// The box dlib's HOG face detector (get_frontal_face_detector) would give for a face the service's detector found:
/// dlib's shape predictor was trained on HOG boxes, which are square and sit lower on the face than the SSD's.
/// With the detector box's side s = √(width·height): a square of side <see cref="SideScale"/>·s centred at the
/// detector box's centre moved by (<see cref="CentreOffsetX"/>·s, <see cref="CentreOffsetY"/>·s), rounded to whole pixels.
/// </summary>
/// <remarks>
/// Fitted on lfw-dev (2026-12-03): medians over the 1,551 detector faces of its 1,549 photos that pair (IoU ≥ 0.3) with
/// a box dlib's HOG detector finds in the same photo (upsampled once, as dlib's Python API with upsample 1). The mapped
/// box overlaps the HOG box with IoU 0.77 on average (edges off by 6.8 % of the side); the HOG detector's own sizes
/// come in steps of 6/5, which bounds how close any map can get. Refit with
/// <c>tests/parity/dlib/bin/dlib_reference hog &lt;rgb-dir&gt; &gt; hog.tsv</c> and
/// <c>dotnet run -c Release --project src/FaceService.Bench -- dlib-box-fit --hog hog.tsv</c> (tests/parity/dlib/README.md).
/// </remarks>
public static class DlibBoxMapping
{
    public const double CentreOffsetX = -0.0164;
    public const double CentreOffsetY = 0.0364;
    public const double SideScale = 0.9758;

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
}
