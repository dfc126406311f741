using FaceService.Core.Faces;
using FaceService.Core.Imaging;
using SkiaSharp;

namespace FaceService.Evaluation;

/// <summary>
/// A synthetic group photo, as a class or team photo from a phone: LFW portraits (250x250, face near the centre)
/// shrunk so that their faces have chosen widths and laid out in a grid on a plain grey background. The faces'
/// boxes are known, so a detector's boxes can be scored against them.
/// </summary>
public sealed class SmallFacesPhoto
{
    // Where LFW's deep-funneled 250x250 photos have the face: the median SSD box of the central face on lfw-dev is
    // 99.9 px wide, centred at (123.8, 128.9). A portrait is pasted as the central square of PortraitSide pixels,
    // which keeps hair and neck but mostly leaves out the neighbours LFW photos show at their edges.
    public const float LfwFaceSide = 100;
    private const float LfwFaceCentreX = 124, LfwFaceCentreY = 129;
    private const int LfwSide = 250;
    private const int PortraitSide = 170;
    private static readonly SKColor Background = new(128, 128, 128);

    private SmallFacesPhoto(RgbaImage image, IReadOnlyList<FaceBox> faces)
    {
        Image = image;
        Faces = faces;
    }

    public RgbaImage Image { get; }

    /// <summary>Where the faces are, in the photo's pixels.</summary>
    public IReadOnlyList<FaceBox> Faces { get; }

    /// <summary>
    /// Lays the portraits out on a width x height grey photo in a grid of as many columns as fit the aspect ratio, each
    /// scaled so its face is <paramref name="faceWidths"/>[i] pixels wide and centred in its grid cell.
    /// </summary>
    public static SmallFacesPhoto Build(IReadOnlyList<RgbaImage> portraits, IReadOnlyList<float> faceWidths, int width, int height)
    {
        if (portraits.Count != faceWidths.Count) throw new ArgumentException("One face width per portrait.", nameof(faceWidths));
        var columns = (int)Math.Ceiling(Math.Sqrt(portraits.Count * (double)width / height));
        var rows = (portraits.Count + columns - 1) / columns;
        float cellWidth = (float)width / columns, cellHeight = (float)height / rows;

        var faces = new List<FaceBox>();
        using var bitmap = Bitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Background);
            for (var i = 0; i < portraits.Count; i++)
            {
                var portrait = portraits[i];
                if (portrait.Width != LfwSide || portrait.Height != LfwSide)
                    throw new ArgumentException($"Portrait {i} is {portrait.Width}x{portrait.Height}, not an LFW photo (250x250).", nameof(portraits));
                var scale = faceWidths[i] / LfwFaceSide;
                float centreX = (i % columns + 0.5f) * cellWidth, centreY = (i / columns + 0.5f) * cellHeight;
                var side = PortraitSide * scale;
                var source = SKRect.Create((LfwSide - PortraitSide) / 2f, (LfwSide - PortraitSide) / 2f, PortraitSide, PortraitSide);
                DrawImage(canvas, portrait, source, SKRect.Create(centreX - side / 2, centreY - side / 2, side, side));
                var face = LfwFaceSide * scale;
                float faceX = centreX + (LfwFaceCentreX - LfwSide / 2f) * scale, faceY = centreY + (LfwFaceCentreY - LfwSide / 2f) * scale;
                faces.Add(new FaceBox(faceX - face / 2, faceY - face / 2, face, face));
            }
        }
        return new SmallFacesPhoto(ToImage(bitmap), faces);
    }

    /// <summary>The same photo resized by <paramref name="factor"/> (the faces with it).</summary>
    public SmallFacesPhoto Scaled(float factor)
    {
        using var bitmap = Bitmap((int)Math.Round(Image.Width * factor), (int)Math.Round(Image.Height * factor));
        using (var canvas = new SKCanvas(bitmap))
            DrawImage(canvas, Image, SKRect.Create(Image.Width, Image.Height), SKRect.Create(bitmap.Width, bitmap.Height));
        return new SmallFacesPhoto(ToImage(bitmap),
            Faces.Select(f => new FaceBox(f.X * factor, f.Y * factor, f.Width * factor, f.Height * factor)).ToArray());
    }

    /// <summary>
    /// Which detections found a face: a detection matches the face whose box holds its centre, if the two sizes are
    /// within a factor of two; each face counts once. Returns the faces found and the detections that matched none.
    /// </summary>
    public (int Found, int Other) Score(IEnumerable<FaceBox> detections)
    {
        var found = new bool[Faces.Count];
        var other = 0;
        foreach (var d in detections)
        {
            float x = d.X + d.Width / 2, y = d.Y + d.Height / 2;
            var match = Enumerable.Range(0, Faces.Count).FirstOrDefault(i =>
                x >= Faces[i].X && x <= Faces[i].Right && y >= Faces[i].Y && y <= Faces[i].Bottom
                && d.Width <= 2 * Faces[i].Width && Faces[i].Width <= 2 * d.Width, -1);
            if (match < 0) other++;
            else found[match] = true;
        }
        return (found.Count(f => f), other);
    }

    private static SKBitmap Bitmap(int width, int height) =>
        new(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));

    /// <summary>The bitmap's pixels; everything drawn is opaque, so premultiplied equals plain RGBA.</summary>
    private static RgbaImage ToImage(SKBitmap bitmap) => new(bitmap.Width, bitmap.Height, bitmap.GetPixelSpan().ToArray());

    private static void DrawImage(SKCanvas canvas, RgbaImage image, SKRect source, SKRect target)
    {
        using var skia = SKImage.FromPixelCopy(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), image.Pixels)
            ?? throw new InvalidOperationException("Skia could not copy the image.");
        canvas.DrawImage(skia, source, target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }
}
