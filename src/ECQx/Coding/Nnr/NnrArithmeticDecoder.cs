using System.Numerics;
using System.Runtime.CompilerServices;

namespace ECQx.Coding.Nnr;

/// <summary>
/// The binary arithmetic decoder matching <see cref="NnrArithmeticEncoder"/> (and NNCodec's DeepCABAC). It reads a
/// byte range of a buffer; reads past the range's end yield zero bytes but are counted, so the caller can compare
/// <see cref="BytesRead"/> with the unit's payload size instead of trusting the stream. Never reads outside the buffer.
/// </summary>
internal sealed class NnrArithmeticDecoder
{
    private readonly byte[] _data;
    private readonly int _end;
    private int _position;
    private uint _range = 510;
    private uint _value;
    private int _bitsNeeded = -8;
    private readonly int _start;

    /// <summary>Starts decoding at <paramref name="start"/>; bytes at and after <paramref name="end"/> read as zero.</summary>
    internal NnrArithmeticDecoder(byte[] data, int start, int end)
    {
        _data = data;
        _start = start;
        _end = end;
        _position = start;
        _value = (uint)(Next() << 8);
        _value += Next();
    }

    /// <summary>Bytes consumed so far (including zero bytes read past the end).</summary>
    internal long BytesRead => (long)_position - _start;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Next()
    {
        int p = _position;
        // Counting past the end (bounded by the number of bins decoded) lets the caller report the overrun.
        if (_position < int.MaxValue) _position++;
        return p >= _start && p < _end ? _data[p] : 0u;
    }

    /// <summary>Decodes one bin with <paramref name="context"/> and adapts it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int DecodeBin(ref NnrContext context)
    {
        uint lps = context.RangeLps(_range);
        uint mps = _range - lps;
        int bin;
        uint scaled = mps << 7;
        if (_value < scaled)
        {
            bin = context.MostProbableBin;
            _range = mps;
        }
        else
        {
            bin = 1 - context.MostProbableBin;
            _value -= scaled;
            _range = lps;
        }
        int n = BitOperations.LeadingZeroCount(_range) - 23;
        _range <<= n;
        _value <<= n;
        _bitsNeeded += n;
        if (_bitsNeeded >= 0)
        {
            _value += Next() << _bitsNeeded;
            _bitsNeeded -= 8;
        }
        context.Update(bin);
        return bin;
    }

    /// <summary>Decodes <paramref name="count"/> (≤ 32) bypass bins, most significant first.</summary>
    internal uint DecodeBypass(int count)
    {
        uint bins = 0;
        for (int i = 0; i < count; i++)
        {
            _value += _value;
            if (++_bitsNeeded >= 0)
            {
                _value += Next();
                _bitsNeeded = -8;
            }
            bins <<= 1;
            uint scaled = _range << 7;
            if (_value >= scaled)
            {
                bins |= 1;
                _value -= scaled;
            }
        }
        return bins;
    }

    /// <summary>Decodes the terminating bin; true at the end of the stream.</summary>
    internal bool DecodeTerminate()
    {
        _range -= 2;
        uint scaled = _range << 7;
        if (_value >= scaled) return true;
        if (_range < 256)
        {
            _range += _range;
            _value += _value;
            if (++_bitsNeeded == 0)
            {
                _value += Next();
                _bitsNeeded = -8;
            }
        }
        return false;
    }

    /// <summary>Whether the last byte read ends with the stop pattern (a one bit, then zeros) at the decoder's bit position.</summary>
    internal bool HasStopPattern()
    {
        int last = _position - 1;
        uint lastByte = last >= _start && last < _end ? _data[last] : 0u;
        return ((lastByte << (8 + _bitsNeeded)) & 0xFF) == 0x80;
    }
}
