using System.Runtime.CompilerServices;

namespace ECQx.Coding;

/// <summary>
/// Decoder matching <see cref="RangeEncoder"/> bin for bin. It reads the stream as untrusted input:
/// reading past the end or leaving bytes unread is reported as <see cref="InvalidDataException"/>,
/// and no state it can reach makes it loop or index out of range.
/// </summary>
internal ref struct RangeDecoder
{
    private const uint TopValue = 1u << 24;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private uint _range;
    private uint _code;

    internal RangeDecoder(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
            throw new InvalidDataException($"level stream is {data.Length} bytes; a stream has at least 4.");
        _data = data;
        _code = (uint)data[0] << 24 | (uint)data[1] << 16 | (uint)data[2] << 8 | data[3];
        _position = 4;
        _range = uint.MaxValue;
    }

    /// <summary>Decodes one bin with the context's probability and adapts the context.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Decode(ref ContextModel model)
    {
        uint bound = (_range >> 16) * model.ProbabilityOfOne;
        int bin;
        if (_code < bound)
        {
            _range = bound;
            bin = 1;
        }
        else
        {
            _code -= bound;
            _range -= bound;
            bin = 0;
        }
        model.Update(bin);
        while (_range < TopValue)
        {
            _range <<= 8;
            _code = (_code << 8) | NextByte();
        }
        return bin;
    }

    /// <summary>Decodes <paramref name="count"/> (≤ 32) bypass bits, most significant first.</summary>
    internal uint DecodeBypass(int count)
    {
        uint value = 0;
        for (int i = 0; i < count; i++)
        {
            _range >>= 1;
            uint bit = 0;
            if (_code >= _range)
            {
                _code -= _range;
                bit = 1;
            }
            value = (value << 1) | bit;
            while (_range < TopValue)
            {
                _range <<= 8;
                _code = (_code << 8) | NextByte();
            }
        }
        return value;
    }

    /// <summary>Checks that the stream ended exactly where the encoder's flush ends it.</summary>
    internal readonly void Finish()
    {
        if (_code >= _range)
            throw new InvalidDataException("level stream is corrupt: the arithmetic decoder state is out of range at the end.");
        if (_position != _data.Length)
            throw new InvalidDataException(
                $"level stream has {_data.Length - _position} trailing byte(s) after the last coded level.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte NextByte()
    {
        if ((uint)_position < (uint)_data.Length) return _data[_position++];
        throw new InvalidDataException(
            $"level stream is truncated: the decoder needs more than its {_data.Length} bytes.");
    }
}
