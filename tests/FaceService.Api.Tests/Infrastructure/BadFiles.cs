using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>Broken uploads, made the way real clients and attackers produce them.</summary>
public static class BadFiles
{
    public static byte[] Text => Encoding.UTF8.GetBytes("This is a note, not a photo.\n");

    /// <summary>The first half of a real JPEG, as left by an interrupted upload.</summary>
    public static byte[] TruncatedJpeg(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes[..(bytes.Length / 2)];
    }

    /// <summary>A tiny, valid PNG whose header declares width x height pixels (a decompression bomb's calling card).</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        PngChunk(png, "IHDR", header);
        using (var data = new MemoryStream())
        {
            using (var z = new ZLibStream(data, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[1024]);
            PngChunk(png, "IDAT", data.ToArray());
        }
        PngChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A little-endian TIFF header followed by noise: a real format the service does not decode.</summary>
    public static byte[] Tiff => [.."II*\0"u8, 8, 0, 0, 0, .. new byte[64]];

    public static byte[] Random(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes one PNG chunk: length, type, data, CRC.</summary>
    public static void PngChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, Crc32([.. typeBytes, .. data]));
        png.Write(crcBytes);
    }

    /// <summary>PNG's CRC-32 (ISO-HDLC polynomial), bit by bit: the chunks here are tiny.</summary>
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
