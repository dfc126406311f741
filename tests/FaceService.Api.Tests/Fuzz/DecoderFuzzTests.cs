using FaceService.Core.Imaging;
using SkiaSharp;
using FaceService.Inference.Imaging;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// The image decoder on its own, thousands of broken inputs per run (fixed seeds, so a failure repeats): each one
/// decodes to a consistent image or throws <see cref="ImageDecodeException"/>; nothing else, no crash, and memory
/// back where it started afterwards.
/// </summary>
// In the API collection, not beside it: its memory bounds are process-wide, and a test host starting in parallel loads
// tens of megabytes of models (the shape predictor alone is 67 MB of managed arrays).
[Collection(Infrastructure.ApiCollection.Name)]
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const long MaxPixels = 40_000_000;
    private readonly SkiaImageDecoder _decoder = new(MaxPixels);

    [Fact]
    public void Corrupted_images_of_every_format_decode_or_fail_with_a_typed_error()
    {
        using var photo = FuzzImages.FacePhoto(160);
        var random = new Random(20261124);
        var outcomes = new Dictionary<string, int>();
        var cases = 0;

        var memory = MemoryProbe.Start();
        foreach (var (format, valid) in FuzzImages.AllFormats(photo))
        {
            Count(outcomes, Decode(valid), ref cases);
            for (var i = 0; i < 150; i++)
            {
                Count(outcomes, Decode(FuzzImages.BitFlipped(valid, random)), ref cases);
                Count(outcomes, Decode(FuzzImages.Truncated(valid, random)), ref cases);
                Count(outcomes, Decode(FuzzImages.Overwritten(valid, random)), ref cases);
            }
            output.WriteLine($"{format}: {valid.Length} bytes valid");
        }
        for (var i = 0; i < 300; i++) Count(outcomes, Decode(FuzzImages.RandomBytes(random, random.Next(1, 4096))), ref cases);
        memory.AssertBounded(output, maxManagedGrowthMiB: 64);

        output.WriteLine($"{cases} decoder cases: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(outcomes.GetValueOrDefault("decoded") >= 4, "the valid images of every format decode");
        Assert.True(outcomes.GetValueOrDefault(nameof(ImageDecodeError.InvalidImage)) > 0);
    }

    [Fact]
    public void Crafted_images_decode_or_fail_as_documented()
    {
        using var photo = FuzzImages.FacePhoto(160);
        var simpleWebp = FuzzImages.Encode(photo, SKEncodedImageFormat.Webp);
        var memory = MemoryProbe.Start();

        // Unusual but valid: decoded, with the declared size.
        AssertDecodes(FuzzImages.FlatJpeg(64, 48, components: 4), 64, 48);   // CMYK (Adobe) JPEG
        AssertDecodes(FuzzImages.FlatJpeg(64, 48, components: 1), 64, 48);   // greyscale JPEG
        AssertDecodes(FuzzImages.Png16(photo), photo.Width, photo.Height);    // 16 bits per sample
        AssertDecodes(FuzzImages.Gif(photo.Width, photo.Height, [FuzzImages.Grey(photo), new byte[photo.Width * photo.Height]]), photo.Width, photo.Height); // animated
        AssertDecodes(FuzzImages.ZeroPng(6000, 6000), 6000, 6000);           // 36 MB of pixels from a few KB, under the limit

        // Tiny files declaring huge sizes: refused before any pixel memory is taken.
        AssertFails(ImageDecodeError.ImageTooLarge, FuzzImages.FlatJpeg(60_000, 60_000, components: 3, dataBytes: 16));
        AssertFails(ImageDecodeError.ImageTooLarge, FuzzImages.FlatJpeg(60_000, 60_000, components: 4, dataBytes: 16));
        AssertFails(ImageDecodeError.ImageTooLarge, Infrastructure.BadFiles.PngDeclaring(100_000, 100_000));
        AssertFails(ImageDecodeError.ImageTooLarge, FuzzImages.Gif(16, 16, [new byte[256]], screenWidth: 65_535, screenHeight: 65_535));
        // libwebp refuses a still image whose canvas is not its frame's size, before the size check is reached.
        AssertFails(ImageDecodeError.InvalidImage, FuzzImages.WebpWithCanvas(simpleWebp, 16_000, 16_000));
        // A frame of the largest allowed size with almost none of its data: libjpeg would fill the scan cut short at the
        // end marker with zero bits (grey blocks); the decoder reads it without that marker, so the data ends early.
        AssertFails(ImageDecodeError.InvalidImage, FuzzImages.FlatJpeg(6000, 6000, components: 3, dataBytes: 16));

        memory.AssertBounded(output, maxManagedGrowthMiB: 64);
        output.WriteLine("11 crafted decoder cases");
    }

    private void AssertDecodes(byte[] encoded, int width, int height)
    {
        var image = _decoder.Decode(encoded);
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    private void AssertFails(ImageDecodeError expected, byte[] encoded)
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(encoded));
        output.WriteLine($"{encoded.Length} bytes: {error.Error}: {error.Message}");
        Assert.Equal(expected, error.Error);
    }

    /// <summary>"decoded" or the error kind; an image must be as large as it says.</summary>
    private string Decode(byte[] encoded)
    {
        try
        {
            var image = _decoder.Decode(encoded);
            Assert.Equal((long)image.Width * image.Height * 4, image.Pixels.Length);
            return "decoded";
        }
        catch (ImageDecodeException e)
        {
            return e.Error.ToString();
        }
    }

    private static void Count(Dictionary<string, int> outcomes, string outcome, ref int cases)
    {
        outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        cases++;
    }
}
