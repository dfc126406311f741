using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using FaceService.Inference.Alignment;
using FaceService.Inference.Imaging;

namespace FaceService.Inference.Tests;

public sealed class FaceChipAlignerTests
{
    private static readonly SimilarityTransform ChipToImage =
        new(2.2 * Math.Cos(0.35), 2.2 * Math.Sin(0.35), 130, 40); // scale 2.2, rotated 20°, shifted

    [Fact]
    public void Fit_recovers_a_known_similarity_and_its_inverse()
    {
        Point2[] from = [new(10, 20), new(80, 25), new(45, 60), new(20, 90), new(70, 95)];
        var to = from.Select(ChipToImage.Apply).ToArray();

        var fitted = SimilarityTransform.Fit(from, to);

        Assert.Equal(ChipToImage.A, fitted.A, 4);
        Assert.Equal(ChipToImage.B, fitted.B, 4);
        Assert.Equal(ChipToImage.Tx, fitted.Tx, 2);
        Assert.Equal(ChipToImage.Ty, fitted.Ty, 2);
        var roundTrip = fitted.Inverse().Apply(fitted.Apply(new Point2(33, 77)));
        Assert.Equal(33f, roundTrip.X, 3);
        Assert.Equal(77f, roundTrip.Y, 3);
    }

    [Fact]
    public void Fit_refuses_degenerate_input()
    {
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Fit([new(1, 1), new(1, 1)], [new(0, 0), new(5, 5)]));
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Fit([new(1, 1)], [new(0, 0)]));
    }

    /// <summary>
    /// Landmarks that are dlib's mean face moved by a known similarity: the chip must undo it, putting a dot painted
    /// at the left eye centre back at the template's left eye centre, for both fits.
    /// </summary>
    [Theory]
    [InlineData(FaceAlignment.Landmarks68)]
    [InlineData(FaceAlignment.FivePoint)]
    public void Align_puts_the_landmarks_onto_dlibs_mean_face(FaceAlignment alignment)
    {
        var templateInImage = new Point2[FaceLandmarks.Count];
        var template = FaceChipAligner.MeanFace.Template;
        for (var i = 0; i < templateInImage.Length; i++) templateInImage[i] = ChipToImage.Apply(template[i]);
        var leftEye = FivePointLayout.FromSixtyEight(templateInImage)[0];
        var image = Canvas(500, 500, (x, y) => Math.Abs(x + 0.5 - leftEye.X) < 4 && Math.Abs(y + 0.5 - leftEye.Y) < 4 ? (255, 255, 255) : (0, 0, 90));

        var chip = new FaceChipAligner(alignment).Align(image, new FaceLandmarks(templateInImage));

        Assert.Equal((150, 150), (chip.Width, chip.Height));
        var chipEye = FaceChipAligner.MeanFace.FivePoints[0];
        Assert.True(TestImages.PixelAt(chip, (int)chipEye.X, (int)chipEye.Y).R > 200, "the eye dot is not at the template's left eye");
        var rightEye = FaceChipAligner.MeanFace.FivePoints[1];
        Assert.True(TestImages.PixelAt(chip, (int)rightEye.X, (int)rightEye.Y).R < 50, "the right eye is not dark");
        Assert.True(TestImages.PixelAt(chip, 75, 140).B > 60, "the background is not the image's");
    }

    /// <summary>
    /// The pipeline draws a large photo's chips from one Skia image whose mipmaps it had built ahead (while the detector
    /// ran): the same bytes as a chip drawn from the photo handed to Skia afresh.
    /// </summary>
    [Fact]
    public void A_chip_from_mipmaps_built_ahead_is_the_chip_drawn_afresh()
    {
        var photo = new SkiaImageDecoder(40_000_000).Decode(DevPhotos.Read("Barack_Obama/Barack_Obama_0004.jpg"));
        // The mean face spread over 600 px of the photo's middle: a chip at about a quarter of the photo's scale.
        var template = FaceChipAligner.MeanFace.Template;
        var landmarks = new FaceLandmarks([.. template.Select(p => new Point2(400 + 4 * p.X, 900 + 4 * p.Y))]);
        var aligner = new FaceChipAligner(FaceAlignment.Landmarks68);

        var afresh = aligner.Cut(photo, default, landmarks);
        using var source = new SkiaSource(photo);
        source.BuildMipmaps();
        var ahead = aligner.Cut(photo, source, default, landmarks);

        Assert.True(aligner.ReadsMipmaps);
        Assert.Equal(afresh.Pixels, ahead.Pixels);
        Assert.Contains(afresh.Pixels, b => b is > 30 and < 225);
    }

    [Fact]
    public void A_box_crop_cuts_the_box_and_pads_it_centred_with_black()
    {
        // Red inside the 100x50 box at (60, 80), blue around it.
        var image = Canvas(300, 300, (x, y) => x is >= 60 and < 160 && y is >= 80 and < 130 ? (220, 0, 0) : (0, 0, 220));

        var chip = new FaceChipAligner(FaceAlignment.BoxCrop).Cut(image, new FaceBox(60, 80, 100, 50), new FaceLandmarks(new Point2[FaceLandmarks.Count]));

        Assert.Equal((150, 150), (chip.Width, chip.Height));
        Assert.Equal(((byte)220, (byte)0, (byte)0), TestImages.PixelAt(chip, 75, 75));
        Assert.Equal(((byte)220, (byte)0, (byte)0), TestImages.PixelAt(chip, 2, 40));
        Assert.Equal(((byte)0, (byte)0, (byte)0), TestImages.PixelAt(chip, 75, 10));   // padding above: 37.5 px
        Assert.Equal(((byte)0, (byte)0, (byte)0), TestImages.PixelAt(chip, 75, 140));  // padding below
        for (var y = 0; y < 150; y++)
        for (var x = 0; x < 150; x++)
            Assert.True(TestImages.PixelAt(chip, x, y).B < 10, $"pixel ({x},{y}) shows the image outside the box");
    }

    private static RgbaImage Canvas(int width, int height, Func<int, int, (int R, int G, int B)> colour)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var (r, g, b) = colour(x, y);
            var p = (y * width + x) * 4;
            (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = ((byte)r, (byte)g, (byte)b, 255);
        }
        return new RgbaImage(width, height, pixels);
    }
}
