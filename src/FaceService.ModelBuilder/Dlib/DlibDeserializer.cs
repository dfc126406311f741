namespace FaceService.ModelBuilder.Dlib;

/// <summary>
/// Reads dlib's serialization format (dlib/serialize.h, 19.24): integers as a control byte (low 4 bits = how many
/// little-endian bytes follow, bit 7 = negative for signed types) and that many bytes; floating-point values as a
/// signed 64-bit mantissa then a signed 16-bit exponent, both as integers, meaning mantissa·2^exponent
/// (dlib's float_details; exponents 32000-32002 encode +∞, −∞ and NaN).
/// </summary>
public sealed class DlibDeserializer(byte[] bytes)
{
    private const short PositiveInfinity = 32000, NegativeInfinity = 32001, NotANumber = 32002;

    public int Position { get; private set; }

    public int ReadInt32() => checked((int)ReadSigned(4));

    /// <summary>An unsigned long used as a count or an index here; larger values than an int holds are an error.</summary>
    public int ReadIndex() => checked((int)ReadUnsigned(8));

    public float ReadSingle()
    {
        // The control byte of dlib's binary float format has the bits 0x70 clear; its older text format never does.
        if (Position >= bytes.Length) throw new EndOfStreamException($"Offset {Position}: the serialized object ends early.");
        var control = bytes[Position];
        if ((control & 0x70) != 0)
            throw new InvalidDataException($"Offset {Position}: a float in dlib's old text format, which this reader does not take.");
        var mantissa = ReadSigned(8);
        var exponent = checked((short)ReadSigned(2));
        return exponent switch
        {
            PositiveInfinity => float.PositiveInfinity,
            NegativeInfinity => float.NegativeInfinity,
            NotANumber => float.NaN,
            // dlib: std::ldexp((float)mantissa, exponent).
            _ => MathF.ScaleB(mantissa, exponent),
        };
    }

    /// <summary>A dlib::matrix&lt;float&gt;: rows and columns (negative in dlib's newer format), then the values row by row.</summary>
    public float[] ReadFloatMatrix(out int rows, out int columns)
    {
        rows = checked((int)Math.Abs(ReadSigned(8)));
        columns = checked((int)Math.Abs(ReadSigned(8)));
        var values = new float[checked(rows * columns)];
        for (var i = 0; i < values.Length; i++) values[i] = ReadSingle();
        return values;
    }

    /// <summary>A dlib column vector (matrix&lt;float,0,1&gt;).</summary>
    public float[] ReadFloatColumn()
    {
        var values = ReadFloatMatrix(out _, out var columns);
        return columns == 1 || values.Length == 0 ? values : throw new InvalidDataException($"Offset {Position}: expected a column vector, got {columns} columns.");
    }

    public void ExpectEnd()
    {
        if (Position != bytes.Length) throw new InvalidDataException($"Offset {Position}: bytes after the end of the serialized object.");
    }

    private long ReadSigned(int maxBytes)
    {
        var control = ReadByte();
        var size = control & 0x0F;
        if (size == 0 || size > maxBytes) throw new InvalidDataException($"Offset {Position - 1}: integer of {size} bytes where at most {maxBytes} fit.");
        ulong magnitude = 0;
        for (var i = 0; i < size; i++) magnitude |= (ulong)ReadByte() << (8 * i);
        var value = checked((long)magnitude);
        return (control & 0x80) != 0 ? -value : value;
    }

    private ulong ReadUnsigned(int maxBytes)
    {
        // dlib masks out the three reserved bits of an unsigned integer's control byte.
        var size = ReadByte() & 0x8F;
        if (size == 0 || size > maxBytes) throw new InvalidDataException($"Offset {Position - 1}: unsigned integer of {size} bytes where at most {maxBytes} fit.");
        ulong value = 0;
        for (var i = 0; i < size; i++) value |= (ulong)ReadByte() << (8 * i);
        return value;
    }

    private int ReadByte()
    {
        if (Position >= bytes.Length) throw new EndOfStreamException($"Offset {Position}: the serialized object ends early.");
        return bytes[Position++];
    }
}
