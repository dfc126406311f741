using FaceService.Core.Imaging;
using SkiaSharp;
using FaceService.Inference.Imaging;

namespace FaceService.Inference.Tests;

public sealed class SkiaImageDecoderTests
{
    private readonly SkiaImageDecoder _decoder = new(40_000_000);
    private static readonly RgbaImage Source = TestImages.Quadrants(64, 48);

    public static TheoryData<string> Formats => ["jpeg", "png", "webp", "bmp"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decodes_each_format_to_the_same_upright_pixels(string format)
    {
        var encoded = format switch
        {
            "jpeg" => TestImages.Encode(Source, SKEncodedImageFormat.Jpeg),
            "png" => TestImages.Encode(Source, SKEncodedImageFormat.Png),
            "webp" => TestImages.Encode(Source, SKEncodedImageFormat.Webp),
            _ => TestImages.Bmp(Source),
        };

        var image = _decoder.Decode(encoded);

        Assert.Equal((64, 48), (image.Width, image.Height));
        Assert.Equal(64 * 48 * 4, image.Pixels.Length);
        AssertQuadrants(image);
        Assert.All(Enumerable.Range(0, 64 * 48), i => Assert.Equal(255, image.Pixels[i * 4 + 3]));
    }

    [Fact]
    public void Decodes_the_first_frame_of_an_animated_gif()
    {
        var palette = new[] { TestImages.Red, TestImages.Green, TestImages.Blue, TestImages.White };
        var first = Enumerable.Range(0, 8 * 6).Select(i => (byte)((i % 8 < 4 ? 0 : 1) + (i / 8 < 3 ? 0 : 2))).ToArray();
        var second = Enumerable.Repeat((byte)3, 8 * 6).ToArray();

        var image = _decoder.Decode(TestImages.Gif(8, 6, palette, first, second));

        Assert.Equal((8, 6), (image.Width, image.Height));
        Assert.Equal(TestImages.Red, TestImages.PixelAt(image, 0, 0));
        Assert.Equal(TestImages.Green, TestImages.PixelAt(image, 7, 0));
        Assert.Equal(TestImages.Blue, TestImages.PixelAt(image, 0, 5));
        Assert.Equal(TestImages.White, TestImages.PixelAt(image, 7, 5));
    }

    [Fact]
    public void Keeps_alpha_unpremultiplied()
    {
        var pixels = new byte[4 * 4 * 4];
        for (var i = 0; i < 16; i++) (pixels[4 * i], pixels[4 * i + 1], pixels[4 * i + 2], pixels[4 * i + 3]) = (200, 100, 50, 128);
        var image = _decoder.Decode(TestImages.Encode(new RgbaImage(4, 4, pixels), SKEncodedImageFormat.Png));
        Assert.Equal(pixels, image.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Applies_each_exif_orientation(ushort orientation)
    {
        // Store the pixels the way a camera with this orientation would, so that applying the tag restores Source.
        var stored = ToStored(Source, orientation);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(stored, SKEncodedImageFormat.Jpeg), orientation);

        var image = _decoder.Decode(jpeg);

        Assert.Equal((Source.Width, Source.Height), (image.Width, image.Height));
        AssertQuadrants(image);
    }

    [Fact]
    public void Rejects_a_truncated_jpeg()
    {
        var jpeg = TestImages.Encode(TestImages.Quadrants(256, 256), SKEncodedImageFormat.Jpeg);
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(jpeg.AsSpan(0, jpeg.Length / 2)));
        Assert.Equal(ImageDecodeError.InvalidImage, error.Error);
    }

    public static TheoryData<string> DevJpegs => new(DevPhotos.Manifest.Select(m => m.Path).Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).Take(12));

    /// <summary>A real photo cut short, as it is and closed with an end marker (which libjpeg would fill with grey).</summary>
    [Theory]
    [MemberData(nameof(DevJpegs))]
    public void Rejects_a_real_photo_whose_data_ends_early(string photo)
    {
        var jpeg = DevPhotos.Read(photo);
        foreach (var fraction in new[] { 0.3, 0.6, 0.9 })
        {
            var cut = jpeg[..(int)(jpeg.Length * fraction)];
            foreach (var truncated in new[] { cut, [.. cut, 0xFF, 0xD9] })
            {
                var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(truncated));
                Assert.Equal(ImageDecodeError.InvalidImage, error.Error);
                Assert.Contains("ends early", error.Message);
            }
        }
    }

    /// <summary>
    /// A progressive photo cut short: libjpeg decodes what the scans so far give, filling the rest with grey, and calls
    /// it a success. Without its end marker, the file is refused as truncated.
    /// </summary>
    [Theory]
    [InlineData("Barack_Obama/Barack_Obama_0003.jpg")]
    [InlineData("Rose_Leslie/Rose_Leslie_0001.jpg")]
    public void Rejects_a_progressive_photo_cut_short(string photo)
    {
        var jpeg = DevPhotos.Read(photo);
        Assert.NotNull(_decoder.Decode(jpeg));
        foreach (var fraction in new[] { 0.3, 0.6, 0.9, 0.999 })
        {
            var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(jpeg[..(int)(jpeg.Length * fraction)]));
            Assert.Equal(ImageDecodeError.InvalidImage, error.Error);
            Assert.Contains("ends early", error.Message);
        }
    }

    /// <summary>Every dev photo decodes to exactly the pixels Skia's codec gives for the file as it is.</summary>
    [Fact]
    public void Decodes_every_dev_photo_to_the_codec_s_own_pixels()
    {
        var photos = Directory.EnumerateFiles(DevPhotos.Directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png" or ".webp").ToList();
        Assert.True(photos.Count >= 77, $"{photos.Count} photos under {DevPhotos.Directory}");
        foreach (var path in photos)
        {
            var bytes = File.ReadAllBytes(path);
            var image = _decoder.Decode(bytes);
            using var codec = SKCodec.Create(new SKMemoryStream(bytes));
            if (codec.EncodedOrigin != SKEncodedOrigin.TopLeft) continue;
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var expected = new byte[info.BytesSize];
            unsafe
            {
                fixed (byte* p = expected) Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, (IntPtr)p, new SKCodecOptions(0)));
            }
            Assert.True(expected.AsSpan().SequenceEqual(image.Pixels), path);
        }
    }

    /// <summary>
    /// The system's libjpeg-turbo is installed (scripts/setup.sh installs it) and decodes the dev photos itself, rather
    /// than leaving them to Skia: the test above then compares its pixels with Skia's codec.
    /// </summary>
    [Fact]
    public void Decodes_the_dev_jpegs_with_the_system_libjpeg_turbo()
    {
        var turbo = TurboJpeg.Installed;
        Assert.True(turbo is not null, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0, Ubuntu: libturbojpeg; scripts/setup.sh installs it)");
        Assert.StartsWith("the system's", _decoder.JpegDecoder);
        var jpegs = Directory.EnumerateFiles(DevPhotos.Directory, "*.jpg", SearchOption.AllDirectories).ToList();
        Assert.True(jpegs.Count >= 70, $"{jpegs.Count} JPEGs under {DevPhotos.Directory}");
        var declined = new List<string>();
        foreach (var path in jpegs)
        {
            var bytes = File.ReadAllBytes(path);
            using var codec = SKCodec.Create(new SKMemoryStream(bytes));
            var pixels = new byte[codec.Info.Width * codec.Info.Height * 4];
            if (!turbo.TryDecode(bytes, codec.Info.Width, codec.Info.Height, pixels)) declined.Add(Path.GetFileName(path));
        }
        Assert.Empty(declined);
    }

    /// <summary>A greyscale JPEG: libjpeg-turbo expands grey to R = G = B with opaque alpha, as Skia's codec does.</summary>
    [Fact]
    public void Decodes_a_greyscale_jpeg_as_skia_does()
    {
        var grey = new byte[96 * 64];
        for (var i = 0; i < grey.Length; i++) grey[i] = (byte)(i % 96 * 2 + i / 96);
        using var bitmap = new SKBitmap(new SKImageInfo(96, 64, SKColorType.Gray8, SKAlphaType.Opaque));
        grey.CopyTo(bitmap.GetPixelSpan());
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var jpeg = data.ToArray();

        var system = _decoder.Decode(jpeg);
        var skia = new SkiaImageDecoder(40_000_000, systemJpeg: false).Decode(jpeg);

        Assert.NotNull(TurboJpeg.Installed);
        Assert.True(TurboJpeg.Installed.TryDecode(jpeg, 96, 64, new byte[96 * 64 * 4]));
        Assert.Equal(skia.Pixels, system.Pixels);
        Assert.Equal(system.Pixels[4 * 10], system.Pixels[4 * 10 + 2]);
    }

    [Fact]
    public void Rejects_a_png_cut_after_its_header()
    {
        var png = TestImages.Encode(TestImages.Quadrants(64, 64), SKEncodedImageFormat.Png);
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(png.AsSpan(0, 60)));
        Assert.Equal(ImageDecodeError.InvalidImage, error.Error);
    }

    [Fact]
    public void Rejects_empty_data() =>
        Assert.Equal(ImageDecodeError.InvalidImage, Assert.Throws<ImageDecodeException>(() => _decoder.Decode([])).Error);

    [Fact]
    public void Rejects_random_bytes()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        Assert.Equal(ImageDecodeError.InvalidImage, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(bytes)).Error);
    }

    [Fact]
    public void Rejects_a_text_file()
    {
        var text = "name,age\nAda,36\nAlan,41\n"u8.ToArray();
        Assert.Equal(ImageDecodeError.InvalidImage, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(text)).Error);
    }

    [Fact]
    public void Names_tiff_as_unsupported()
    {
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(ImageDecodeError.UnsupportedFormat, Assert.Throws<ImageDecodeException>(() => _decoder.Decode(tiff)).Error);
    }

    [Fact]
    public void Refuses_a_declared_10_gigapixel_png_before_decoding()
    {
        var png = TestImages.PngHeaderOnly(100_000, 100_000);
        _decoder.Decode(TestImages.Encode(Source, SKEncodedImageFormat.Png)); // JIT and Skia set-up outside the measurement

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(png));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(ImageDecodeError.ImageTooLarge, error.Error);
        Assert.True(allocated < 1_000_000, $"Allocated {allocated} bytes while refusing the image.");
    }

    [Fact]
    public void The_pixel_limit_is_configurable()
    {
        var png = TestImages.Encode(Source, SKEncodedImageFormat.Png);
        Assert.Equal(ImageDecodeError.ImageTooLarge,
            Assert.Throws<ImageDecodeException>(() => new SkiaImageDecoder(64 * 48 - 1).Decode(png)).Error);
        Assert.Equal(64, new SkiaImageDecoder(64 * 48).Decode(png).Width);
    }

    private static void AssertQuadrants(RgbaImage image)
    {
        int w = image.Width, h = image.Height;
        Assert.True(TestImages.Near(TestImages.Red, TestImages.PixelAt(image, w / 4, h / 4)), "top-left should be red");
        Assert.True(TestImages.Near(TestImages.Green, TestImages.PixelAt(image, 3 * w / 4, h / 4)), "top-right should be green");
        Assert.True(TestImages.Near(TestImages.Blue, TestImages.PixelAt(image, w / 4, 3 * h / 4)), "bottom-left should be blue");
        Assert.True(TestImages.Near(TestImages.White, TestImages.PixelAt(image, 3 * w / 4, 3 * h / 4)), "bottom-right should be white");
    }

    /// <summary>The inverse of what the orientation tag asks a viewer to do, written independently of the decoder.</summary>
    private static RgbaImage ToStored(RgbaImage upright, ushort orientation)
    {
        RgbaImage MirrorX(RgbaImage i) => Remap(i, i.Width, i.Height, (x, y) => (i.Width - 1 - x, y));
        RgbaImage Rotate180(RgbaImage i) => Remap(i, i.Width, i.Height, (x, y) => (i.Width - 1 - x, i.Height - 1 - y));
        return orientation switch
        {
            1 => upright,
            2 => MirrorX(upright),
            3 => Rotate180(upright),
            4 => Remap(upright, upright.Width, upright.Height, (x, y) => (x, upright.Height - 1 - y)),
            5 => Remap(upright, upright.Height, upright.Width, (x, y) => (y, x)),                       // transpose is its own inverse
            6 => TestImages.Rotate90(upright, clockwise: false),                                           // viewer turns it clockwise
            7 => Rotate180(Remap(upright, upright.Height, upright.Width, (x, y) => (y, x))),
            _ => TestImages.Rotate90(upright, clockwise: true),                                            // 8: viewer turns it back
        };
    }

    /// <summary>Output pixel (x, y) of a width x height image takes the source pixel map(x, y).</summary>
    private static RgbaImage Remap(RgbaImage source, int width, int height, Func<int, int, (int X, int Y)> map)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var (sx, sy) = map(x, y);
            Array.Copy(source.Pixels, (sy * source.Width + sx) * 4, pixels, (y * width + x) * 4, 4);
        }
        return new RgbaImage(width, height, pixels);
    }
}
