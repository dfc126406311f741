using SkiaSharp;

namespace FaceService.Evaluation;

/// <summary>
/// A large "class photo" built from labelled portraits: the centre of each LFW-style photo (head and shoulders) pasted,
/// scaled so that the face is a chosen width, with a feathered oval edge, onto a background (a no-face photo scaled
/// to cover, or a plain grey). It stands in for a phone photo of a team or class: many small faces in a big frame.
/// Deterministic for a seed.
/// </summary>
public sealed class SyntheticGroupPhoto
{
    /// <summary>
    /// The part of a 250x250 LFW (deep-funneled) photo that is pasted: head and shoulders around the centred face, whose
    /// width is about <see cref="FaceWidthInCrop"/> of the crop's pixels.
    /// </summary>
    private static readonly SKRectI LfwCrop = new(25, 15, 225, 235);
    private const float FaceWidthInCrop = 100f;

    private SyntheticGroupPhoto(byte[] jpeg, int width, int height, IReadOnlyList<PastedFace> faces)
    {
        Jpeg = jpeg;
        Width = width;
        Height = height;
        Faces = faces;
    }

    /// <summary>The photo, JPEG quality 92.</summary>
    public byte[] Jpeg { get; }

    public int Width { get; }

    public int Height { get; }

    public IReadOnlyList<PastedFace> Faces { get; }

    /// <summary>A pasted portrait: whose, where the whole pasted crop lies, and the face's width in pixels.</summary>
    public sealed record PastedFace(string Person, SKRect Region, float FaceWidth)
    {
        /// <summary>Whether a detection centred at (x, y) is this face.</summary>
        public bool Contains(float x, float y) => Region.Contains(x, y);
    }

    /// <param name="portraits">Encoded 250x250 LFW-style photos (face centred) with their person.</param>
    /// <param name="background">Encoded photo scaled to cover the frame, or null for plain grey.</param>
    public static SyntheticGroupPhoto Compose(int width, int height, IReadOnlyList<(string Person, byte[] Jpeg)> portraits,
        float minFaceWidth, float maxFaceWidth, byte[]? background, int seed)
    {
        var random = new Random(seed);
        var count = portraits.Count;
        // A grid with cells about as wide as tall; each face sits at a random place in its own cell.
        var columns = (int)Math.Ceiling(Math.Sqrt(count * (double)width / height));
        var rows = (int)Math.Ceiling(count / (double)columns);
        var (cellWidth, cellHeight) = (width / (float)columns, height / (float)rows);

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("Skia could not create a surface.");
        var canvas = surface.Canvas;
        DrawBackground(canvas, width, height, background);

        var faces = new List<PastedFace>(count);
        for (var i = 0; i < count; i++)
        {
            var faceWidth = minFaceWidth + (float)random.NextDouble() * (maxFaceWidth - minFaceWidth);
            var scale = faceWidth / FaceWidthInCrop;
            var (w, h) = (LfwCrop.Width * scale, LfwCrop.Height * scale);
            if (w > cellWidth || h > cellHeight)
                throw new ArgumentException($"A {faceWidth:F0} px face ({w:F0}x{h:F0} with its crop) does not fit a {cellWidth:F0}x{cellHeight:F0} cell.");
            var (column, row) = (i % columns, i / columns);
            var left = column * cellWidth + (float)random.NextDouble() * (cellWidth - w);
            var top = row * cellHeight + (float)random.NextDouble() * (cellHeight - h);
            var region = new SKRect(left, top, left + w, top + h);
            PasteFeathered(canvas, portraits[i].Jpeg, region);
            faces.Add(new PastedFace(portraits[i].Person, region, faceWidth));
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 92);
        return new SyntheticGroupPhoto(data.ToArray(), width, height, faces);
    }

    /// <summary>Matches detections (box centres) to pasted faces: how many faces were found, and detections that are no pasted face.</summary>
    public (int Found, int FalseDetections) Score(IEnumerable<(float CentreX, float CentreY)> detections)
    {
        var found = new bool[Faces.Count];
        var falseDetections = 0;
        foreach (var (x, y) in detections)
        {
            var index = Faces.ToList().FindIndex(f => f.Contains(x, y));
            if (index < 0) falseDetections++;
            else found[index] = true;
        }
        return (found.Count(f => f), falseDetections);
    }

    private static void DrawBackground(SKCanvas canvas, int width, int height, byte[]? background)
    {
        if (background is null)
        {
            canvas.Clear(new SKColor(128, 128, 128));
            return;
        }
        using var image = SKImage.FromEncodedData(background) ?? throw new ArgumentException("The background is not a readable image.");
        var scale = Math.Max(width / (float)image.Width, height / (float)image.Height);
        var (w, h) = (image.Width * scale, image.Height * scale);
        canvas.DrawImage(image, new SKRect((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
    }

    /// <summary>Draws the portrait's crop into the region through an oval mask with a soft edge, so that no hard seam frames the face.</summary>
    private static void PasteFeathered(SKCanvas canvas, byte[] jpeg, SKRect region)
    {
        using var portrait = SKImage.FromEncodedData(jpeg) ?? throw new ArgumentException("A portrait is not a readable image.");
        using var layerPaint = new SKPaint();
        canvas.SaveLayer(region, layerPaint);
        canvas.DrawImage(portrait, SKRect.Create(LfwCrop.Left, LfwCrop.Top, LfwCrop.Width, LfwCrop.Height), region,
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        // An oval alpha ramp over the whole region (opaque inside 85 % of the radius, clear at the edge), applied with DstIn.
        var oval = SKMatrix.CreateScale(region.Width / 2, region.Height / 2).PostConcat(SKMatrix.CreateTranslation(region.MidX, region.MidY));
        using var ramp = SKShader.CreateRadialGradient(new SKPoint(0, 0), 1, [SKColors.White, SKColors.White, SKColors.Transparent],
            [0, 0.85f, 1], SKShaderTileMode.Clamp, oval);
        using var mask = new SKPaint { BlendMode = SKBlendMode.DstIn, Shader = ramp };
        canvas.DrawRect(region, mask);
        canvas.Restore();
    }
}
