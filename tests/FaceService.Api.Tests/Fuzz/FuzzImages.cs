using System.Buffers.Binary;
using System.IO.Compression;
using FaceService.Api.Tests.Infrastructure;
using SkiaSharp;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// Valid images in every accepted format made from a development photo, images crafted byte by byte where Skia has no
/// encoder (GIF, CMYK JPEG, 16-bit PNG, headers declaring huge sizes), and deterministic ways to break them.
/// </summary>
public static class FuzzImages
{
    /// <summary>A face photo scaled to <paramref name="width"/> pixels wide (small, so that each upload is cheap).</summary>
    public static SKBitmap FacePhoto(int width = 320)
    {
        using var original = SKBitmap.Decode(DevPhotos.People[0].Photos[0]);
        var height = (int)Math.Round(original.Height * (double)width / original.Width);
        return original.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 85)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>The photo as JPEG, PNG, WebP and GIF, by format name.</summary>
    public static IReadOnlyDictionary<string, byte[]> AllFormats(SKBitmap photo) => new Dictionary<string, byte[]>
    {
        ["jpeg"] = Encode(photo, SKEncodedImageFormat.Jpeg),
        ["png"] = Encode(photo, SKEncodedImageFormat.Png),
        ["webp"] = Encode(photo, SKEncodedImageFormat.Webp),
        ["gif"] = Gif(photo.Width, photo.Height, [Grey(photo)]),
    };

    /// <summary>The photo tiled columns x rows times: one image with that many small faces.</summary>
    public static byte[] Tiled(SKBitmap tile, int columns, int rows)
    {
        using var canvasBitmap = new SKBitmap(tile.Width * columns, tile.Height * rows);
        using (var canvas = new SKCanvas(canvasBitmap))
            for (var y = 0; y < rows; y++)
                for (var x = 0; x < columns; x++)
                    canvas.DrawBitmap(tile, x * tile.Width, y * tile.Height);
        return Encode(canvasBitmap, SKEncodedImageFormat.Jpeg);
    }

    // ---- corruption -------------------------------------------------------------------------------------------------

    /// <summary>1 to 8 random bits flipped, anywhere but the first two bytes (so the format is still recognised).</summary>
    public static byte[] BitFlipped(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        for (var i = random.Next(1, 9); i > 0; i--) bytes[random.Next(2, bytes.Length)] ^= (byte)(1 << random.Next(8));
        return bytes;
    }

    /// <summary>A random prefix (at least the first byte), as an interrupted upload leaves it.</summary>
    public static byte[] Truncated(byte[] valid, Random random) => valid[..random.Next(1, valid.Length)];

    /// <summary>A run of random bytes written over a random place, as a broken disk or proxy produces.</summary>
    public static byte[] Overwritten(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        var start = random.Next(2, bytes.Length);
        random.NextBytes(bytes.AsSpan(start, Math.Min(bytes.Length - start, random.Next(1, 64))));
        return bytes;
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    // ---- crafted files ----------------------------------------------------------------------------------------------

    /// <summary>
    /// A baseline JPEG of flat mid-grey with 1, 3 or 4 (CMYK, Adobe marker) components: one-symbol Huffman tables make
    /// every 8x8 block two zero bits (DC difference 0, end of block). <paramref name="dataBytes"/> caps the scan data, so
    /// that a huge declared size comes with almost no data (a decompression bomb's shape).
    /// </summary>
    public static byte[] FlatJpeg(int width, int height, int components, int? dataBytes = null)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        if (components == 4)
            Segment(jpeg, 0xEE, [.. "Adobe"u8, 0, 100, 0, 0, 0, 0, 0]); // transform 0: plain CMYK
        Segment(jpeg, 0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);
        var frame = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)components };
        for (var c = 1; c <= components; c++) frame.AddRange([(byte)c, 0x11, 0]);
        Segment(jpeg, 0xC0, [.. frame]);
        byte[] oneSymbol = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00];
        Segment(jpeg, 0xC4, [0x00, .. oneSymbol]); // DC table 0: category 0 = "0"
        Segment(jpeg, 0xC4, [0x10, .. oneSymbol]); // AC table 0: end of block = "0"
        var scan = new List<byte> { (byte)components };
        for (var c = 1; c <= components; c++) scan.AddRange([(byte)c, 0x00]);
        scan.AddRange([0, 63, 0]);
        Segment(jpeg, 0xDA, [.. scan]);
        var blocks = (long)((width + 7) / 8) * ((height + 7) / 8) * components;
        var fullData = (int)Math.Min(int.MaxValue, (blocks * 2 + 7) / 8);
        var data = new byte[Math.Min(fullData, dataBytes ?? fullData)];
        if (data.Length == fullData && blocks * 2 % 8 != 0) data[^1] = (byte)(0xFF >> (int)(blocks * 2 % 8)); // pad with 1 bits
        jpeg.Write(data);
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>The photo as a 16-bit-per-sample RGBA PNG (a real face, in a sample depth cameras and scanners write).</summary>
    public static byte[] Png16(SKBitmap photo)
    {
        var raw = new MemoryStream();
        var pixels = photo.GetPixelSpan();
        for (var y = 0; y < photo.Height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (var i = y * photo.RowBytes; i < y * photo.RowBytes + photo.Width * 4; i++)
            {
                raw.WriteByte(pixels[i]);
                raw.WriteByte(pixels[i]);
            }
        }
        return Png(photo.Width, photo.Height, bitDepth: 16, colorType: 6, raw.ToArray());
    }

    /// <summary>A PNG of the given header and raw (filtered) scanlines.</summary>
    public static byte[] Png(int width, int height, byte bitDepth, byte colorType, byte[] rawScanlines)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colorType;
        BadFiles.PngChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(rawScanlines);
            BadFiles.PngChunk(png, "IDAT", compressed.ToArray());
        }
        BadFiles.PngChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A valid greyscale PNG of width x height zero pixels: a few KB that decode to width*height*4 bytes.</summary>
    public static byte[] ZeroPng(int width, int height) => Png(width, height, 8, 0, new byte[(long)(width + 1) * height]);

    /// <summary>
    /// A GIF89a with a 256-grey palette and one frame per pixel array (animated, looping, when more than one), on a
    /// logical screen of screenWidth x screenHeight (which may be larger than the frames: a bomb's header).
    /// </summary>
    public static byte[] Gif(int width, int height, IReadOnlyList<byte[]> frames, int? screenWidth = null, int? screenHeight = null)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        WriteLe16(gif, screenWidth ?? width);
        WriteLe16(gif, screenHeight ?? height);
        gif.Write([0xF7, 0, 0]); // global colour table of 256 entries
        for (var i = 0; i < 256; i++) gif.Write([(byte)i, (byte)i, (byte)i]);
        if (frames.Count > 1) gif.Write([0x21, 0xFF, 0x0B, .. "NETSCAPE2.0"u8, 0x03, 0x01, 0x00, 0x00, 0x00]);
        foreach (var frame in frames)
        {
            gif.Write([0x21, 0xF9, 0x04, 0x00, 10, 0, 0, 0]); // 100 ms per frame
            gif.WriteByte(0x2C);
            WriteLe16(gif, 0);
            WriteLe16(gif, 0);
            WriteLe16(gif, width);
            WriteLe16(gif, height);
            gif.WriteByte(0);
            gif.WriteByte(8); // LZW minimum code size
            var lzw = UncompressedLzw(frame);
            for (var i = 0; i < lzw.Length; i += 255)
            {
                var block = lzw.AsSpan(i, Math.Min(255, lzw.Length - i));
                gif.WriteByte((byte)block.Length);
                gif.Write(block);
            }
            gif.WriteByte(0);
        }
        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>The photo's luminance, one byte per pixel (a palette index into the grey palette).</summary>
    public static byte[] Grey(SKBitmap photo)
    {
        var grey = new byte[photo.Width * photo.Height];
        for (var y = 0; y < photo.Height; y++)
            for (var x = 0; x < photo.Width; x++)
            {
                var c = photo.GetPixel(x, y);
                grey[y * photo.Width + x] = (byte)((c.Red * 299 + c.Green * 587 + c.Blue * 114) / 1000);
            }
        return grey;
    }

    /// <summary>
    /// A WebP whose VP8X header declares a canvas of canvasWidth x canvasHeight around the small lossy frame of
    /// <paramref name="simpleWebp"/> (as Skia writes it: RIFF, WEBP, one "VP8 " chunk).
    /// </summary>
    public static byte[] WebpWithCanvas(byte[] simpleWebp, int canvasWidth, int canvasHeight)
    {
        if (!simpleWebp.AsSpan(12, 4).SequenceEqual("VP8 "u8)) throw new ArgumentException("Expected a simple lossy WebP.");
        var frameChunk = simpleWebp.AsSpan(12).ToArray();
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteInt32LittleEndian(vp8x.AsSpan(4), 10);
        WriteLe24(vp8x.AsSpan(12), canvasWidth - 1);
        WriteLe24(vp8x.AsSpan(15), canvasHeight - 1);
        using var webp = new MemoryStream();
        webp.Write("RIFF"u8);
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, 4 + vp8x.Length + frameChunk.Length);
        webp.Write(size);
        webp.Write("WEBP"u8);
        webp.Write(vp8x);
        webp.Write(frameChunk);
        return webp.ToArray();
    }

    /// <summary>GIF LZW with only literal codes and a clear code every 250 of them, so codes stay 9 bits wide.</summary>
    private static byte[] UncompressedLzw(byte[] indices)
    {
        const int clear = 256, end = 257;
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        void Emit(int code)
        {
            buffer |= code << bits;
            for (bits += 9; bits >= 8; bits -= 8, buffer >>= 8) output.Add((byte)buffer);
        }
        for (var i = 0; i < indices.Length; i++)
        {
            if (i % 250 == 0) Emit(clear);
            Emit(indices[i]);
        }
        Emit(end);
        if (bits > 0) output.Add((byte)buffer);
        return [.. output];
    }

    private static void Segment(Stream jpeg, byte marker, byte[] payload)
    {
        jpeg.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        jpeg.Write(payload);
    }

    private static void WriteLe16(Stream s, int value) => s.Write([(byte)value, (byte)(value >> 8)]);

    private static void WriteLe24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
