using System.Numerics;
using System.Runtime.CompilerServices;

namespace ECQx.Coding.Nnr;

/// <summary>
/// The binary arithmetic encoder of NNR's DeepCABAC (a 9-bit-range M-coder as in HEVC/VVC): context-coded bins,
/// equiprobable (bypass) bins and the terminating bin, with carry propagation through buffered 0xFF bytes.
/// <see cref="Finish"/> codes the terminating bin and the stop pattern; a <see cref="NnrArithmeticDecoder"/> then
/// reads exactly the bytes written.
/// </summary>
internal sealed class NnrArithmeticEncoder
{
    private byte[] _bytes;
    private int _count;
    private uint _low;
    private uint _range = 510;
    private int _bitsLeft = 23;
    private byte _bufferedByte;
    private uint _bufferedCount;

    /// <summary>An encoder whose output buffer starts with <paramref name="capacity"/> bytes.</summary>
    internal NnrArithmeticEncoder(int capacity = 256) => _bytes = new byte[Math.Max(16, capacity)];

    /// <summary>Codes <paramref name="bin"/> (0 or 1) with context <paramref name="context"/> and adapts it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EncodeBin(ref NnrContext context, int bin)
    {
        uint lps = context.RangeLps(_range);
        _range -= lps;
        if (bin == context.MostProbableBin)
        {
            if (_range < 256)
            {
                _range <<= 1;
                _low <<= 1;
                if (--_bitsLeft < 12) WriteOut();
            }
        }
        else
        {
            int n = BitOperations.LeadingZeroCount(lps) - 23;
            _low += _range;
            _range = lps << n;
            _low <<= n;
            _bitsLeft -= n;
            if (_bitsLeft < 12) WriteOut();
        }
        context.Update(bin);
    }

    /// <summary>Codes the low <paramref name="count"/> bits of <paramref name="value"/> (most significant first) as bypass bins.</summary>
    internal void EncodeBypass(uint value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            _low <<= 1;
            if (((value >> i) & 1) != 0) _low += _range;
            if (--_bitsLeft < 12) WriteOut();
        }
    }

    /// <summary>Codes the terminating bin 1 and flushes the coder; returns the coded bytes.</summary>
    internal byte[] Finish()
    {
        _range -= 2;
        _low += _range;
        _low <<= 7;
        _range = 2 << 7;
        _bitsLeft -= 7;
        if (_bitsLeft < 12) WriteOut();

        if ((_low >> (32 - _bitsLeft)) != 0)
        {
            Put((byte)(_bufferedByte + 1));
            for (; _bufferedCount > 1; _bufferedCount--) Put(0x00);
            _low -= 1u << (32 - _bitsLeft);
        }
        else
        {
            if (_bufferedCount > 0) Put(_bufferedByte);
            for (; _bufferedCount > 1; _bufferedCount--) Put(0xFF);
        }
        // The stop bit, then the remaining bits of low, left-aligned.
        _low >>= 8;
        _low = (_low << 1) + 1;
        _bitsLeft--;
        _low <<= 32 - (24 - _bitsLeft);
        for (int i = 0; i < 24 - _bitsLeft; i += 8) Put((byte)(_low >> (24 - i)));
        return _bytes.AsSpan(0, _count).ToArray();
    }

    private void WriteOut()
    {
        uint lead = _low >> (24 - _bitsLeft);
        _bitsLeft += 8;
        _low &= 0xFFFFFFFFu >> _bitsLeft;
        if (lead == 0xFF)
        {
            _bufferedCount++;
        }
        else if (_bufferedCount > 0)
        {
            uint carry = lead >> 8;
            Put((byte)(_bufferedByte + carry));
            _bufferedByte = (byte)lead;
            byte fill = (byte)(0xFF + carry);
            for (; _bufferedCount > 1; _bufferedCount--) Put(fill);
        }
        else
        {
            _bufferedCount = 1;
            _bufferedByte = (byte)lead;
        }
    }

    private void Put(byte b)
    {
        if (_count == _bytes.Length) Array.Resize(ref _bytes, checked(_bytes.Length * 2));
        _bytes[_count++] = b;
    }
}
