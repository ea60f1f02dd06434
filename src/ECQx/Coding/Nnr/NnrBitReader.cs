using System.Text;

namespace ECQx.Coding.Nnr;

/// <summary>
/// Reads NNR high-level syntax from one unit (<c>[start, end)</c> of a buffer). Every read past the unit's end, every
/// Exp-Golomb code longer than 63 bits and every invalid string throws <see cref="InvalidDataException"/> naming
/// <see cref="Where"/> and the field.
/// </summary>
internal sealed class NnrBitReader(byte[] data, int start, int end, string where)
{
    private long _bit = (long)start * 8;

    /// <summary>The unit description used in error messages.</summary>
    internal string Where { get; set; } = where;

    /// <summary>Byte offset of the next whole byte (after alignment).</summary>
    internal int BytePosition => (int)((_bit + 7) / 8);

    /// <summary>Bytes of the unit consumed so far (partial bytes count).</summary>
    internal int BytesConsumed => BytePosition - start;

    /// <summary><c>u(n)</c>, n ≤ 64.</summary>
    internal ulong ReadBits(int bits, string field)
    {
        if (_bit + bits > (long)end * 8) throw Fail(field, "the unit ends before this field");
        ulong value = 0;
        for (int i = 0; i < bits; i++, _bit++) value = (value << 1) | (uint)((data[_bit >> 3] >> (7 - (int)(_bit & 7))) & 1);
        return value;
    }

    /// <summary>A one-bit flag.</summary>
    internal bool ReadFlag(string field) => ReadBits(1, field) != 0;

    /// <summary><c>i(n)</c>.</summary>
    internal long ReadSigned(int bits, string field)
    {
        ulong v = ReadBits(bits, field);
        return v >= 1UL << (bits - 1) ? (long)v - (1L << bits) : (long)v;
    }

    /// <summary><c>ue(k)</c>, at most 63 significant bits.</summary>
    internal ulong ReadExpGolomb(int k, string field)
    {
        ulong value = 0;
        while (!ReadFlag(field))
        {
            if (k >= 62) throw Fail(field, "the Exp-Golomb code is longer than 63 bits");
            value += 1UL << k;
            k++;
        }
        return k > 0 ? value + ReadBits(k, field) : value;
    }

    /// <summary><c>st(v)</c>: UTF-8 up to a zero byte inside the unit.</summary>
    internal string ReadString(string field)
    {
        if ((_bit & 7) != 0) throw Fail(field, "the string does not start byte-aligned");
        int from = (int)(_bit >> 3);
        int zero = Array.IndexOf(data, (byte)0, from, end - from);
        if (zero < 0) throw Fail(field, "the string has no terminating zero byte inside the unit");
        try
        {
            string text = new UTF8Encoding(false, true).GetString(data, from, zero - from);
            _bit = (long)(zero + 1) * 8;
            return text;
        }
        catch (DecoderFallbackException)
        {
            throw Fail(field, "the string is not valid UTF-8");
        }
    }

    /// <summary><c>byte_alignment()</c>: the alignment one bit, then skip to the byte boundary.</summary>
    internal void ByteAlign(string field)
    {
        ReadBits(1, field);
        _bit = (_bit + 7) / 8 * 8;
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the unit and <paramref name="field"/>.</summary>
    internal InvalidDataException Fail(string field, string problem) => new($"{Where}, field {field}: {problem}");
}
