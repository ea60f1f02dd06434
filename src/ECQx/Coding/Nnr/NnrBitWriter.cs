using System.Text;

namespace ECQx.Coding.Nnr;

/// <summary>Writes NNR high-level syntax: most significant bit first, <c>u(n)</c>, <c>ue(k)</c>, <c>st(v)</c>, byte alignment.</summary>
internal sealed class NnrBitWriter
{
    private readonly List<byte> _bytes = [];
    private int _bitsInLastByte = 8;

    /// <summary>Whether the next bit starts a new byte.</summary>
    internal bool IsByteAligned => _bitsInLastByte == 8;

    /// <summary><c>u(n)</c>: the low <paramref name="bits"/> bits of <paramref name="value"/>.</summary>
    internal void WriteBits(ulong value, int bits)
    {
        if (bits < 64 && value >> bits != 0) throw new ArgumentOutOfRangeException(nameof(value), value, $"does not fit in {bits} bits");
        for (int i = bits - 1; i >= 0; i--) WriteBit((int)(value >> i) & 1);
    }

    /// <summary>One bit.</summary>
    internal void WriteBit(int bit)
    {
        if (_bitsInLastByte == 8)
        {
            _bytes.Add(0);
            _bitsInLastByte = 0;
        }
        if (bit != 0) _bytes[^1] |= (byte)(0x80 >> _bitsInLastByte);
        _bitsInLastByte++;
    }

    /// <summary><c>ue(k)</c>: k-th order Exp-Golomb code of <paramref name="value"/>.</summary>
    internal void WriteExpGolomb(ulong value, int k)
    {
        while (value >= 1UL << k)
        {
            WriteBit(0);
            value -= 1UL << k;
            k++;
        }
        WriteBit(1);
        if (k > 0) WriteBits(value, k);
    }

    /// <summary><c>i(n)</c>: two's complement in <paramref name="bits"/> bits.</summary>
    internal void WriteSigned(long value, int bits) => WriteBits((ulong)value & ((1UL << bits) - 1), bits);

    /// <summary><c>st(v)</c>: UTF-8 bytes then a zero byte (byte-aligned).</summary>
    internal void WriteString(string text)
    {
        if (!IsByteAligned) throw new InvalidOperationException("st(v) must start byte-aligned");
        if (text.Contains('\0')) throw new ArgumentException($"text '{text.Replace("\0", "\\0")}' contains a NUL character, which ends an NNR string", nameof(text));
        _bytes.AddRange(Encoding.UTF8.GetBytes(text));
        _bytes.Add(0);
    }

    /// <summary><c>byte_alignment()</c>: a one bit, then zero bits to the byte boundary.</summary>
    internal void ByteAlign()
    {
        WriteBit(1);
        _bitsInLastByte = 8;
    }

    /// <summary>Appends whole bytes (byte-aligned).</summary>
    internal void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (!IsByteAligned) throw new InvalidOperationException("bytes must be appended byte-aligned");
        foreach (byte b in bytes) _bytes.Add(b);
    }

    /// <summary>The bytes written.</summary>
    internal byte[] ToArray() => [.. _bytes];
}
