using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ECQx.Coding;

/// <summary>Appends little-endian fields and LEB128 varints to a growing buffer.</summary>
internal sealed class FieldWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    internal int Length => _buffer.WrittenCount;

    internal ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    internal void Bytes(ReadOnlySpan<byte> value) => _buffer.Write(value);

    internal void UInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    internal void UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    internal void UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    internal void Double(double value) => UInt64((ulong)BitConverter.DoubleToInt64Bits(value));

    internal void VarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            Byte((byte)(value | 0x80));
            value >>= 7;
        }
        Byte((byte)value);
    }

    internal void VarInt(long value) => VarUInt((ulong)((value << 1) ^ (value >> 63)));

    internal void String(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        VarUInt((ulong)utf8.Length);
        Bytes(utf8);
    }

    internal void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }
}

/// <summary>
/// Reads fields from an untrusted span. Every read is bounds-checked and fails with an
/// <see cref="InvalidDataException"/> that names <see cref="Context"/> (file and section).
/// </summary>
internal ref struct FieldReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    internal FieldReader(ReadOnlySpan<byte> data, string context)
    {
        _data = data;
        _position = 0;
        Context = context;
    }

    internal string Context { get; }

    internal readonly int Remaining => _data.Length - _position;

    internal readonly int Position => _position;

    internal ReadOnlySpan<byte> Bytes(int count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Fail($"{what} needs {count} bytes but only {Remaining} remain (truncated?)");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    internal byte Byte(string what) => Bytes(1, what)[0];

    internal ushort UInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what));

    internal uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

    internal ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

    internal double Double(string what) => BitConverter.Int64BitsToDouble((long)UInt64(what));

    internal ulong VarUInt(string what)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Byte(what);
            if (shift == 63 && b > 1) throw Fail($"{what} is a varint that overflows 64 bits");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Fail($"{what} is a varint longer than 10 bytes");
    }

    internal long VarInt(string what)
    {
        ulong raw = VarUInt(what);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A varint that must lie in [0, <paramref name="max"/>].</summary>
    internal int VarCount(string what, long max)
    {
        ulong value = VarUInt(what);
        if (value > (ulong)Math.Min(max, int.MaxValue)) throw Fail($"{what} is {value}, more than the {Math.Min(max, int.MaxValue)} allowed here");
        return (int)value;
    }

    internal string String(string what, int maxBytes)
    {
        int length = VarCount(what + " length", Math.Min(maxBytes, Remaining));
        var bytes = Bytes(length, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail($"{what} is not valid UTF-8");
        }
    }

    internal readonly InvalidDataException Fail(string what) => new($"{Context}: {what}.");
}
