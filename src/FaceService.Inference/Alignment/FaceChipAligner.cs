using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Inference.Imaging;
using FaceService.Inference.Landmarks;
using FaceService.Inference.Recognition;

namespace FaceService.Inference.Alignment;

/// <summary>
/// Cuts the 150x150 chip the recognition net (dlib's ResNet) was trained on, in the layout <see cref="Alignment"/> names:
/// by default dlib's get_face_chip_details(shape, 150, 0.25), a similarity transform that puts the landmarks onto
/// dlib's mean face shape with 25 % padding on each side.
/// </summary>
public sealed class FaceChipAligner(FaceAlignment alignment)
{
    private const int Size = RecognitionNet.ChipSize;
    private const double Padding = 0.25;

    public FaceAlignment Alignment { get; } = alignment;

    /// <summary>The chip of one face: from its landmarks, or for <see cref="FaceAlignment.BoxCrop"/> from its box alone.</summary>
    public RgbaImage Cut(RgbaImage image, FaceBox box, FaceLandmarks landmarks)
    {
        using var source = new SkiaSource(image);
        return Cut(image, source, box, landmarks);
    }

    /// <summary>
    /// <see cref="Cut(RgbaImage, FaceBox, FaceLandmarks)"/> drawn from <paramref name="source"/>, the photo handed to Skia
    /// once for all its faces: its mipmaps (what a strong downscale reads) are built once, or ahead of time.
    /// </summary>
    internal RgbaImage Cut(RgbaImage image, SkiaSource source, FaceBox box, FaceLandmarks landmarks) =>
        Alignment == FaceAlignment.BoxCrop ? CropBox(image, box) : Align(source, landmarks);

    /// <summary>Whether <see cref="Cut(RgbaImage, SkiaSource, FaceBox, FaceLandmarks)"/> draws the whole photo through a transform (and so reads its mipmaps).</summary>
    internal bool ReadsMipmaps => Alignment != FaceAlignment.BoxCrop;

    /// <summary>The chip from the landmarks, fitted as <see cref="Alignment"/> says (68 points, or 5 for FivePoint).</summary>
    public RgbaImage Align(RgbaImage image, FaceLandmarks landmarks)
    {
        using var source = new SkiaSource(image);
        return Align(source, landmarks);
    }

    private RgbaImage Align(SkiaSource image, FaceLandmarks landmarks)
    {
        if (landmarks.Points.Count != FaceLandmarks.Count)
            throw new ArgumentException($"Expected {FaceLandmarks.Count} landmarks, got {landmarks.Points.Count}.", nameof(landmarks));

        // Fit chip → image as dlib does, then draw through the inverse.
        var chipToImage = Alignment == FaceAlignment.FivePoint
            ? SimilarityTransform.Fit(MeanFace.FivePoints, landmarks.ToFivePoints())
            : SimilarityTransform.Fit(MeanFace.DlibFitPoints, MeanFace.SelectDlibFitPoints(landmarks.Points));
        return SkiaRendering.Render(image, chipToImage.Inverse().ToMatrix(), Size);
    }

    /// <summary>Baseline without landmarks: the detector box padded to a square and resized (face-api's way).</summary>
    private static RgbaImage CropBox(RgbaImage image, FaceBox box)
    {
        var placement = CropPlacement.Centred(box, Size, image);
        return SkiaRendering.Render(image, placement.ToMatrix(), Size, placement.SourceRect);
    }

    /// <summary>dlib's 68-point mean face shape (points 17..67, in [0,1]) placed in the 150 px chip.</summary>
    internal static class MeanFace
    {
        private static readonly float[] X =
        [
            0.000213256f, 0.0752622f, 0.18113f, 0.29077f, 0.393397f, 0.586856f, 0.689483f, 0.799124f, 0.904991f, 0.98004f,
            0.490127f, 0.490127f, 0.490127f, 0.490127f, 0.36688f, 0.426036f, 0.490127f, 0.554217f, 0.613373f, 0.121737f,
            0.187122f, 0.265825f, 0.334606f, 0.260918f, 0.182743f, 0.645647f, 0.714428f, 0.793132f, 0.858516f, 0.79751f,
            0.719335f, 0.254149f, 0.340985f, 0.428858f, 0.490127f, 0.551395f, 0.639268f, 0.726104f, 0.642159f, 0.556721f,
            0.490127f, 0.423532f, 0.338094f, 0.290379f, 0.428096f, 0.490127f, 0.552157f, 0.689874f, 0.553364f, 0.490127f,
            0.42689f,
        ];

        private static readonly float[] Y =
        [
            0.106454f, 0.038915f, 0.0187482f, 0.0344891f, 0.0773906f, 0.0773906f, 0.0344891f, 0.0187482f, 0.038915f, 0.106454f,
            0.203352f, 0.307009f, 0.409805f, 0.515625f, 0.587326f, 0.609345f, 0.628106f, 0.609345f, 0.587326f, 0.216423f,
            0.178758f, 0.179852f, 0.231733f, 0.245099f, 0.244077f, 0.231733f, 0.179852f, 0.178758f, 0.216423f, 0.244077f,
            0.245099f, 0.780233f, 0.745405f, 0.727388f, 0.742578f, 0.727388f, 0.745405f, 0.780233f, 0.864805f, 0.902192f,
            0.909281f, 0.902192f, 0.864805f, 0.784792f, 0.778746f, 0.785343f, 0.778746f, 0.784792f, 0.824182f, 0.831803f,
            0.824182f,
        ];

        /// <summary>The landmarks dlib fits: 27..54 (nose, eyes, outer mouth up to the right corner) and 60..64 (upper inner lip).</summary>
        private static readonly int[] DlibFitIndices = [.. Enumerable.Range(27, 28), .. Enumerable.Range(60, 5)];

        /// <summary>
        /// The 68-point template with the jaw line (0..16, which dlib's template lacks) left at the origin; only
        /// 17..67 are meaningful. dlib's chip pixel i samples at the transformed i, Skia's at i + 0.5: hence the half pixel.
        /// </summary>
        public static readonly Point2[] Template = BuildTemplate();

        public static readonly Point2[] DlibFitPoints = SelectDlibFitPoints(Template);

        /// <summary>Eye centres, nose tip, mouth corners of the template, derived as from real landmarks.</summary>
        public static readonly Point2[] FivePoints = FivePointLayout.FromSixtyEight(Template);

        public static Point2[] SelectDlibFitPoints(IReadOnlyList<Point2> points) => [.. DlibFitIndices.Select(i => points[i])];

        private static Point2[] BuildTemplate()
        {
            var points = new Point2[FaceLandmarks.Count];
            for (var i = 17; i < FaceLandmarks.Count; i++)
                points[i] = new Point2(ToChip(X[i - 17]), ToChip(Y[i - 17]));
            return points;
        }

        private static float ToChip(float unit) => (float)((Padding + unit) / (2 * Padding + 1) * Size + 0.5);
    }
}
