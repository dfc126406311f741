using System.Buffers.Binary;
using System.Text;
using FaceService.Core.Imaging;
using SkiaSharp;

namespace FaceService.Inference.Tests;

/// <summary>Synthetic images and byte-level writers for formats and metadata Skia does not write.</summary>
internal static class TestImages
{
    public static readonly (byte R, byte G, byte B) Red = (230, 20, 20), Green = (20, 200, 40), Blue = (30, 40, 220), White = (250, 250, 250);

    /// <summary>Four flat quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.</summary>
    public static RgbaImage Quadrants(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var c = (x < width / 2, y < height / 2) switch
            {
                (true, true) => Red,
                (false, true) => Green,
                (true, false) => Blue,
                _ => White,
            };
            var p = (y * width + x) * 4;
            (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = (c.R, c.G, c.B, 255);
        }
        return new RgbaImage(width, height, pixels);
    }

    public static (byte R, byte G, byte B) PixelAt(RgbaImage image, int x, int y)
    {
        var p = (y * image.Width + x) * 4;
        return (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]);
    }

    public static bool Near((byte R, byte G, byte B) a, (byte R, byte G, byte B) b, int tolerance = 12) =>
        Math.Abs(a.R - b.R) <= tolerance && Math.Abs(a.G - b.G) <= tolerance && Math.Abs(a.B - b.B) <= tolerance;

    /// <summary>Encodes with Skia: JPEG at quality 100 without chroma subsampling, lossless WebP, PNG.</summary>
    public static byte[] Encode(RgbaImage image, SKEncodedImageFormat format)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        unsafe
        {
            fixed (byte* p = image.Pixels)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)p, image.Stride);
                using var data = format switch
                {
                    SKEncodedImageFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(100, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)),
                    SKEncodedImageFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
                    SKEncodedImageFormat.Png => pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6)),
                    _ => throw new ArgumentOutOfRangeException(nameof(format)),
                } ?? throw new InvalidOperationException($"Skia could not encode {format}.");
                return data.ToArray();
            }
        }
    }

    /// <summary>Rotates pixels by 90° clockwise (or counter-clockwise) with Skia.</summary>
    public static RgbaImage Rotate90(RgbaImage image, bool clockwise)
    {
        var (w, h) = (image.Height, image.Width);
        var output = new byte[image.Pixels.Length];
        var sourceInfo = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var targetInfo = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        unsafe
        {
            fixed (byte* src = image.Pixels)
            fixed (byte* dst = output)
            {
                using var pixmap = new SKPixmap(sourceInfo, (IntPtr)src, image.Stride);
                using var skImage = SKImage.FromPixels(pixmap);
                using var surface = SKSurface.Create(targetInfo, (IntPtr)dst, w * 4);
                surface.Canvas.Translate(clockwise ? w : 0, clockwise ? 0 : h);
                surface.Canvas.RotateDegrees(clockwise ? 90 : -90);
                surface.Canvas.DrawImage(skImage, 0, 0);
                surface.Canvas.Flush();
            }
        }
        return new RgbaImage(w, h, output);
    }

    /// <summary>Inserts an EXIF APP1 segment holding only an Orientation tag right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        if (jpeg is not [0xFF, 0xD8, ..]) throw new ArgumentException("Not a JPEG.", nameof(jpeg));
        var tiff = new byte[8 + 2 + 12 + 4];
        "MM"u8.CopyTo(tiff);                                          // big-endian TIFF
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8);     // IFD0 right after the header
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1);     // one entry
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112); // Orientation
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3);    // SHORT
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1);    // count
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), orientation);
        // next-IFD offset (last 4 bytes) stays 0
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(2 + payload.Length));
        payload.CopyTo(segment, 4);
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    /// <summary>24-bit BMP, rows bottom-up, each padded to 4 bytes.</summary>
    public static byte[] Bmp(RgbaImage image)
    {
        var rowSize = (image.Width * 3 + 3) & ~3;
        var data = new byte[54 + rowSize * image.Height];
        "BM"u8.CopyTo(data);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(2), data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(28), 24);
        for (var y = 0; y < image.Height; y++)
        {
            var row = 54 + (image.Height - 1 - y) * rowSize;
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = PixelAt(image, x, y);
                (data[row + 3 * x], data[row + 3 * x + 1], data[row + 3 * x + 2]) = (b, g, r);
            }
        }
        return data;
    }

    /// <summary>
    /// GIF89a with a 4-colour palette and one frame per index array. The LZW stream sends a clear code before every pixel,
    /// so codes stay 3 bits wide and no compression logic is needed.
    /// </summary>
    public static byte[] Gif(int width, int height, (byte R, byte G, byte B)[] palette, params byte[][] frames)
    {
        if (palette.Length != 4) throw new ArgumentException("Palette must have 4 colours.", nameof(palette));
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        gif.AddRange(BitConverter.GetBytes((ushort)width));
        gif.AddRange(BitConverter.GetBytes((ushort)height));
        gif.AddRange([0xF1, 0, 0]); // global colour table of 2^(1+1) = 4 entries
        foreach (var c in palette) gif.AddRange([c.R, c.G, c.B]);
        foreach (var frame in frames)
        {
            gif.AddRange([0x21, 0xF9, 4, 0x04, 10, 0, 0, 0]); // graphic control: keep frame, 100 ms
            gif.Add(0x2C);
            gif.AddRange(new byte[4]);
            gif.AddRange(BitConverter.GetBytes((ushort)width));
            gif.AddRange(BitConverter.GetBytes((ushort)height));
            gif.Add(0);
            gif.Add(2); // LZW minimum code size: clear = 4, end = 5, codes 3 bits wide
            var bits = new List<bool>();
            void Code(int code) { for (var i = 0; i < 3; i++) bits.Add(((code >> i) & 1) != 0); }
            foreach (var index in frame) { Code(4); Code(index); }
            Code(5);
            var bytes = new byte[(bits.Count + 7) / 8];
            for (var i = 0; i < bits.Count; i++) if (bits[i]) bytes[i / 8] |= (byte)(1 << (i % 8));
            foreach (var block in bytes.Chunk(255)) { gif.Add((byte)block.Length); gif.AddRange(block); }
            gif.Add(0);
        }
        gif.Add(0x3B);
        return gif.ToArray();
    }

    /// <summary>A PNG whose header claims the given size, followed by a token IDAT and IEND (chunks with valid CRCs).</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        AddChunk(png, "IHDR", ihdr);
        AddChunk(png, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        AddChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void AddChunk(List<byte> png, string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.AddRange(length);
        png.AddRange(typed);
        png.AddRange(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
