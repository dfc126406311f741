using System.Runtime.InteropServices;
using FaceService.Core.Imaging;
using SkiaSharp;

namespace FaceService.Inference.Imaging;

/// <summary>
/// Decodes uploads with Skia's codecs into upright, unpremultiplied RGBA. The declared size is checked before any pixel
/// is decoded, and a codec that stops early (truncated data) is an error rather than a half-grey image, also for a
/// sequential JPEG whose scan data is cut short before its end marker (see <see cref="CopyForCodec"/>). Decodes
/// JPEG/PNG/WebP/BMP/GIF (first frame) and applies EXIF orientation; failures are <see cref="ImageDecodeException"/>.
/// A JPEG's pixels come from the system's libjpeg-turbo where it is installed (<see cref="TurboJpeg"/>: the same bytes,
/// twice as fast), Skia's codec reading the headers and taking over for any file that library leaves.
/// </summary>
/// <param name="systemJpeg">Whether JPEG pixels may come from the system's libjpeg-turbo (false: Skia's codec alone).</param>
public sealed class SkiaImageDecoder(long maxPixels, bool systemJpeg = true)
{
    private readonly TurboJpeg? _turboJpeg = systemJpeg ? TurboJpeg.Installed : null;

    public long MaxPixels { get; } = maxPixels > 0 ? maxPixels : throw new ArgumentOutOfRangeException(nameof(maxPixels));

    /// <summary>What decodes JPEG pixels here, for the start-up log.</summary>
    public string JpegDecoder => _turboJpeg is null ? "Skia's libjpeg-turbo (no SIMD)" : "the system's libjpeg-turbo (SIMD)";

    public RgbaImage Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new ImageDecodeException(ImageDecodeError.InvalidImage, "The image is empty.");

        using var data = CopyForCodec(encoded);
        // The codec owns the stream from here on (also when it fails and returns null).
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var createResult);
        if (codec is null)
        {
            throw KnownUnsupportedFormat(encoded) is { } name
                ? new ImageDecodeException(ImageDecodeError.UnsupportedFormat, $"{name} images are not supported; send JPEG, PNG, WebP, BMP or GIF.")
                : new ImageDecodeException(ImageDecodeError.InvalidImage, createResult == SKCodecResult.IncompleteInput
                    ? "The image data ends early (the file is truncated)."
                    : "The data is not a readable image: send a JPEG, PNG, WebP, BMP or GIF file.");
        }

        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png or SKEncodedImageFormat.Webp
            or SKEncodedImageFormat.Bmp or SKEncodedImageFormat.Gif))
            throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat,
                $"{codec.EncodedFormat} images are not supported; send JPEG, PNG, WebP, BMP or GIF.");

        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg && !HasJpegEnd(encoded))
            throw new ImageDecodeException(ImageDecodeError.InvalidImage, "The image data ends early (the file is truncated).");

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            throw new ImageDecodeException(ImageDecodeError.InvalidImage, "The image declares no pixels.");
        if ((long)width * height > MaxPixels)
            throw new ImageDecodeException(ImageDecodeError.ImageTooLarge,
                $"The image is {width}x{height} = {(long)width * height} pixels; the limit is {MaxPixels}.");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // Every byte is written by a decode that succeeds.
        var pixels = GC.AllocateUninitializedArray<byte>(info.BytesSize);
        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg && _turboJpeg is not null && _turboJpeg.TryDecode(encoded, width, height, pixels))
            return ExifOrientation.ToUpright(new RgbaImage(width, height, pixels), codec.EncodedOrigin);

        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = pixels)
                result = codec.GetPixels(info, (IntPtr)p, new SKCodecOptions(0)); // frame 0 of an animated GIF/WebP
        }
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(ImageDecodeError.InvalidImage, result switch
            {
                SKCodecResult.IncompleteInput => "The image data ends early (the file is truncated).",
                // The codec's own words (InvalidInput, Unimplemented, ...) mean nothing to the person who sent the file.
                _ => "The image data is corrupt, or uses a feature this decoder does not read.",
            });

        return ExifOrientation.ToUpright(new RgbaImage(width, height, pixels), codec.EncodedOrigin);
    }

    // libjpeg reads ahead up to 57 bits while decoding; this many zero bytes after the scan data cover that look-ahead.
    private const int JpegLookAheadBytes = 8;

    /// <summary>
    /// The bytes the codec reads, copied once: as sent, or for a sequential (baseline) single-scan JPEG up to its end
    /// marker followed by <see cref="JpegLookAheadBytes"/> zero bytes instead of the marker and anything after it.
    /// <para>Why: libjpeg treats a marker met inside scan data as the end of the data and fills the missing blocks with
    /// zeros (grey), so a photo cut short and closed with an end marker decodes "successfully" with a grey lower part.
    /// Without the marker, missing data is missing input and the codec reports it (IncompleteInput). A complete file
    /// decodes to the same pixels, since the decoder never consumes the look-ahead bytes. Progressive and multi-scan
    /// files are left alone: their decoder reads on to the end marker before the first row.</para>
    /// </summary>
    private static unsafe SKData CopyForCodec(ReadOnlySpan<byte> encoded)
    {
        if (SequentialJpegEndMarker(encoded) is not { } end) return SKData.CreateCopy(encoded);
        var data = SKData.Create(end + JpegLookAheadBytes);
        var target = new Span<byte>((void*)data.Data, end + JpegLookAheadBytes);
        encoded[..end].CopyTo(target);
        target[end..].Clear();
        return data;
    }

    /// <summary>Where the end marker of a sequential single-scan JPEG starts; null for anything else.</summary>
    private static int? SequentialJpegEndMarker(ReadOnlySpan<byte> b)
    {
        if (FirstScan(b) is not (var at, true)) return null;
        // Inside scan data FF is always followed by 00 or a restart code, so a later FF DA is a second scan.
        if (b[(at + 2)..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]) >= 0) return null;
        var end = b.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]);
        return end < at ? null : end;
    }

    /// <summary>
    /// Where a JPEG's first scan (its SOS marker) starts, and whether its frame is baseline or extended sequential
    /// Huffman; null for anything else. The header segments are skipped by their lengths, so that an EXIF thumbnail,
    /// itself a JPEG inside APP1, is not taken for the image.
    /// </summary>
    private static (int Start, bool Sequential)? FirstScan(ReadOnlySpan<byte> b)
    {
        if (!b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8])) return null;
        var (at, sequential) = (2, false);
        while (true)
        {
            if (at + 4 > b.Length || b[at] != 0xFF) return null;
            var code = b[at + 1];
            if (code == 0xFF) { at++; continue; } // fill byte
            if (code == 0xDA) return (at, sequential);
            if (code is 0xC0 or 0xC1) sequential = true;
            at += 2 + (b[at + 2] << 8 | b[at + 3]);
        }
    }

    /// <summary>
    /// Whether a JPEG has its end-of-image marker after the start of its first scan. A progressive JPEG cut short has
    /// none, and libjpeg decodes the scans it got, filling the rest with grey, as a success (or fails with a word that
    /// says nothing); a file without its end is refused as truncated instead. (A sequential one cut short is caught by
    /// <see cref="CopyForCodec"/>.)
    /// </summary>
    private static bool HasJpegEnd(ReadOnlySpan<byte> b) =>
        // Headers this walk cannot follow are the codec's to judge.
        FirstScan(b) is not var (scan, _) || b[scan..].LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;

    /// <summary>Names formats Skia has no codec for, so that they get a clearer error than "not an image".</summary>
    private static string? KnownUnsupportedFormat(ReadOnlySpan<byte> b)
    {
        if (b.StartsWith("II*\0"u8) || b.StartsWith("MM\0*"u8)) return "TIFF";
        if (b.Length >= 12 && b.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = b.Slice(8, 4);
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8)) return "AVIF";
            if (brand.StartsWith("he"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8)) return "HEIF";
        }
        if (b is [0xFF, 0x0A, ..] || b.StartsWith("\0\0\0\fJXL "u8)) return "JPEG XL";
        return null;
    }
}

/// <summary>Turns pixels stored in any of the 8 EXIF orientations upright.</summary>
internal static class ExifOrientation
{
    public static RgbaImage ToUpright(RgbaImage stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom) return stored;

        var (w, h) = (stored.Width, stored.Height);
        var swapsAxes = origin >= SKEncodedOrigin.LeftTop; // 5..8 are transposed
        var (outW, outH) = swapsAxes ? (h, w) : (w, h);
        var output = new byte[stored.Pixels.Length];
        var src = MemoryMarshal.Cast<byte, uint>(stored.Pixels.AsSpan());
        var dst = MemoryMarshal.Cast<byte, uint>(output.AsSpan());

        // For each upright pixel (x, y), where it is stored. EXIF names where the stored row 0 / column 0 is shown.
        for (var y = 0; y < outH; y++)
        {
            var row = dst.Slice(y * outW, outW);
            for (var x = 0; x < row.Length; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),            // 2: mirrored horizontally
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // 3: rotated 180
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // 4: mirrored vertically
                    SKEncodedOrigin.LeftTop => (y, x),                     // 5: transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),            // 6: shown rotated 90 clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // 7: transverse
                    _ => (w - 1 - y, x),                                   // 8: shown rotated 90 counter-clockwise
                };
                row[x] = src[sy * w + sx];
            }
        }
        return new RgbaImage(outW, outH, output);
    }
}
