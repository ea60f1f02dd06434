using System.Runtime.CompilerServices;

namespace ECQx.Coding;

/// <summary>
/// Binary arithmetic (range) encoder: 32-bit range, 64-bit low with delayed carry propagation, byte-wise
/// renormalisation whenever the range drops below 2^24. A bin with P(1) = p splits the range at
/// <c>(range &gt;&gt; 16) · p</c>; the lower part codes 1, the upper part 0. Bypass bins halve the range.
/// The stream is the sequence of renormalisation bytes followed by a four-byte flush; the decoder
/// consumes exactly the bytes written.
/// </summary>
internal struct RangeEncoder
{
    private const uint TopValue = 1u << 24;

    private byte[] _buffer;
    private int _length;
    private ulong _low;
    private uint _range;
    private byte _cache;
    private bool _hasCache;
    private int _pendingFF;

    internal RangeEncoder(int initialCapacity)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
        _length = 0;
        _low = 0;
        _range = uint.MaxValue;
        _cache = 0;
        _hasCache = false;
        _pendingFF = 0;
    }

    /// <summary>Codes one bin with the context's probability and adapts the context.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Encode(ref ContextModel model, int bin)
    {
        uint bound = (_range >> 16) * model.ProbabilityOfOne;
        if (bin != 0)
        {
            _range = bound;
        }
        else
        {
            _low += bound;
            _range -= bound;
        }
        model.Update(bin);
        while (_range < TopValue)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    /// <summary>Codes the low <paramref name="count"/> bits of <paramref name="value"/>, most significant first, at probability 1/2.</summary>
    internal void EncodeBypass(uint value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            _range >>= 1;
            if (((value >> i) & 1) != 0) _low += _range;
            while (_range < TopValue)
            {
                _range <<= 8;
                ShiftLow();
            }
        }
    }

    /// <summary>Flushes the coder state and returns the stream.</summary>
    internal byte[] Finish()
    {
        for (int i = 0; i < 5; i++) ShiftLow();
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            byte carry = (byte)(_low >> 32);
            if (_hasCache) Put((byte)(_cache + carry));
            for (; _pendingFF > 0; _pendingFF--) Put((byte)(0xFF + carry));
            _cache = (byte)(_low >> 24);
            _hasCache = true;
        }
        else
        {
            _pendingFF++;
        }
        _low = (_low & 0x00FFFFFFu) << 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(byte value)
    {
        if (_length == _buffer.Length) Array.Resize(ref _buffer, checked(_buffer.Length * 2));
        _buffer[_length++] = value;
    }
}
