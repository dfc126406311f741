using System.Buffers.Binary;
using System.Text;

namespace FaceService.ModelBuilder.Tflite;

/// <summary>
/// Read access to one table of a FlatBuffers buffer (https://flatbuffers.dev/internals/): the table starts with a
/// signed offset back to its vtable, the vtable lists each field's offset inside the table (0 = absent, so the schema
/// default applies), and tables, vectors and strings are reached through unsigned offsets relative to where the offset
/// is stored. Only what the TFLite reader needs; every read is bounds-checked by the span.
/// </summary>
public readonly struct FlatBufferTable
{
    private readonly byte[] _buffer;
    private readonly int _position;
    private readonly int _vtable;
    private readonly int _vtableLength;

    private FlatBufferTable(byte[] buffer, int position)
    {
        if (position < 0 || position > buffer.Length - 4)
        {
            throw new InvalidDataException($"FlatBuffer table offset {position} is outside the {buffer.Length}-byte buffer.");
        }

        _buffer = buffer;
        _position = position;
        _vtable = position - BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position));
        _vtableLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(_vtable));
    }

    /// <summary>The root table; checks the 4-byte file identifier that follows the root offset.</summary>
    public static FlatBufferTable Root(byte[] buffer, string fileIdentifier)
    {
        if (buffer.Length < 8 || Encoding.ASCII.GetString(buffer, 4, 4) != fileIdentifier)
        {
            throw new InvalidDataException($"Not a FlatBuffer with file identifier '{fileIdentifier}'.");
        }

        return new FlatBufferTable(buffer, (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer));
    }

    public bool Has(int slot) => FieldPosition(slot) != 0;

    public int Int32(int slot, int defaultValue = 0)
    {
        int at = FieldPosition(slot);
        return at == 0 ? defaultValue : BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(at));
    }

    public uint UInt32(int slot, uint defaultValue = 0)
    {
        int at = FieldPosition(slot);
        return at == 0 ? defaultValue : BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(at));
    }

    public sbyte SByte(int slot, sbyte defaultValue = 0)
    {
        int at = FieldPosition(slot);
        return at == 0 ? defaultValue : (sbyte)_buffer[at];
    }

    public byte Byte(int slot, byte defaultValue = 0)
    {
        int at = FieldPosition(slot);
        return at == 0 ? defaultValue : _buffer[at];
    }

    public string? String(int slot)
    {
        int at = Indirect(slot);
        if (at < 0)
        {
            return null;
        }

        int length = VectorLength(at);
        return Encoding.UTF8.GetString(_buffer, at + 4, length);
    }

    public FlatBufferTable? Table(int slot)
    {
        int at = Indirect(slot);
        return at < 0 ? null : new FlatBufferTable(_buffer, at);
    }

    /// <summary>A vector of tables; empty when the field is absent.</summary>
    public FlatBufferTable[] Tables(int slot)
    {
        int at = Indirect(slot);
        if (at < 0)
        {
            return [];
        }

        var tables = new FlatBufferTable[VectorLength(at)];
        for (int i = 0; i < tables.Length; i++)
        {
            int element = at + 4 + 4 * i;
            tables[i] = new FlatBufferTable(_buffer, element + (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(element)));
        }

        return tables;
    }

    /// <summary>A vector of int32; empty when the field is absent.</summary>
    public int[] Int32s(int slot)
    {
        int at = Indirect(slot);
        if (at < 0)
        {
            return [];
        }

        var values = new int[VectorLength(at)];
        ReadOnlySpan<byte> bytes = _buffer.AsSpan(at + 4, values.Length * 4);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
        }

        return values;
    }

    /// <summary>A vector of bytes, in place; empty when the field is absent.</summary>
    public ReadOnlyMemory<byte> Bytes(int slot)
    {
        int at = Indirect(slot);
        return at < 0 ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(at + 4, VectorLength(at));
    }

    /// <summary>Absolute position of a scalar field, or 0 when the vtable does not list it.</summary>
    private int FieldPosition(int slot)
    {
        int entry = 4 + 2 * slot;
        if (entry + 2 > _vtableLength)
        {
            return 0;
        }

        int offset = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_vtable + entry));
        return offset == 0 ? 0 : _position + offset;
    }

    /// <summary>Absolute position of the object an offset field points to, or -1 when absent.</summary>
    private int Indirect(int slot)
    {
        int at = FieldPosition(slot);
        return at == 0 ? -1 : at + (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(at));
    }

    private int VectorLength(int at)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(at));
        if (length > (uint)(_buffer.Length - at - 4))
        {
            throw new InvalidDataException($"FlatBuffer vector at {at} claims {length} elements, past the end of the buffer.");
        }

        return (int)length;
    }
}
