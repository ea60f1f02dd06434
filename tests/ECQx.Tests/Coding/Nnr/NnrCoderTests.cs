using ECQx.Coding.Nnr;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>The NNR arithmetic coder, level binarization and high-level syntax writer on their own.</summary>
public class NnrCoderTests
{
    private static int[] RoundTrip(int[] levels, int unaryLengthMinus1, bool optimize)
    {
        var encoder = new NnrArithmeticEncoder();
        NnrLevelEncoder.Encode(encoder, levels, unaryLengthMinus1, optimize);
        byte[] stream = encoder.Finish();
        var decoder = new NnrArithmeticDecoder(stream, 0, stream.Length);
        var decoded = new int[levels.Length];
        NnrLevelDecoder.Decode(decoder, decoded, unaryLengthMinus1);
        Assert.True(decoder.DecodeTerminate(), "terminating bin");
        Assert.Equal(stream.Length, decoder.BytesRead);
        Assert.True(decoder.HasStopPattern(), "stop pattern");
        return decoded;
    }

    [Property(MaxTest = 200)]
    public Property LevelsRoundTripAndTheDecoderConsumesExactlyTheStream() =>
        Prop.ForAll(
            Gen.Choose(0, 400).SelectMany(n => Gen.Choose(0, 3).SelectMany(scale => Gen.ArrayOf(Gen.Choose(-(1 << (4 * scale)), 1 << (4 * scale)), n)))
                .ToArbitrary(),
            Gen.Choose(0, 12).ToArbitrary(),
            ArbMap.Default.ArbFor<bool>(),
            (levels, unary, optimize) => Assert.Equal(levels, RoundTrip(levels, unary, optimize)));

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(255)]
    public void ExtremeLevelsRoundTrip(int unaryLengthMinus1)
    {
        int[] levels = [NnrLevelEncoder.MaxMagnitude, -NnrLevelEncoder.MaxMagnitude, 0, 1, -1, short.MaxValue, short.MinValue, 1 << 30, 12, -3];
        Assert.Equal(levels, RoundTrip(levels, unaryLengthMinus1, optimize: true));
        Assert.Equal(levels, RoundTrip(levels, unaryLengthMinus1, optimize: false));
    }

    [Fact]
    public void RefusesLevelsBeyondTheBinarization()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NnrLevelEncoder.Encode(new NnrArithmeticEncoder(), [0, int.MinValue], 10, true));
        Assert.Contains("index 1", e.Message);
    }

    [Fact]
    public void TheInitializationSearchMakesSkewedStreamsSmaller()
    {
        var random = new Random(7);
        int[] levels = Enumerable.Range(0, 20_000).Select(_ => random.NextDouble() < 0.95 ? 0 : random.Next(-3, 4)).ToArray();
        int Size(bool optimize)
        {
            var encoder = new NnrArithmeticEncoder();
            NnrLevelEncoder.Encode(encoder, levels, 10, optimize);
            return encoder.Finish().Length;
        }
        Assert.True(Size(true) <= Size(false), $"{Size(true)} > {Size(false)}");
    }

    [Fact]
    public void BinsAndBypassBitsRoundTripThroughTheArithmeticCoder()
    {
        var random = new Random(3);
        var ops = Enumerable.Range(0, 5000).Select(_ => (Kind: random.Next(3), Context: random.Next(4), Value: random.Next(1 << 20), Bits: random.Next(1, 21))).ToList();
        var encoder = new NnrArithmeticEncoder();
        var contexts = Enumerable.Range(0, 4).Select(i => NnrContext.Create(i * 2)).ToArray();
        foreach (var op in ops)
        {
            if (op.Kind == 2) encoder.EncodeBypass((uint)op.Value & ((1u << op.Bits) - 1), op.Bits);
            else encoder.EncodeBin(ref contexts[op.Context], op.Value % 7 == 0 ? 1 : 0);
        }
        byte[] stream = encoder.Finish();
        var decoder = new NnrArithmeticDecoder(stream, 0, stream.Length);
        contexts = Enumerable.Range(0, 4).Select(i => NnrContext.Create(i * 2)).ToArray();
        foreach (var op in ops)
        {
            if (op.Kind == 2) Assert.Equal((uint)op.Value & ((1u << op.Bits) - 1), decoder.DecodeBypass(op.Bits));
            else Assert.Equal(op.Value % 7 == 0 ? 1 : 0, decoder.DecodeBin(ref contexts[op.Context]));
        }
        Assert.True(decoder.DecodeTerminate());
        Assert.Equal(stream.Length, decoder.BytesRead);
    }

    [Theory]
    [InlineData(0, 1, "10")]             // ue(1): 0 < 2 → "1" then 1 bit of 0
    [InlineData(3, 1, "0101")]           // 3 ≥ 2 → "0", x = 1, k = 2: 1 < 4 → "1" then "01"
    [InlineData(16, 7, "10010000")]      // 16 < 128 → "1" then 7 bits
    [InlineData(200, 7, "0101001000")]   // 200 ≥ 128 → "0", x = 72, k = 8 → "1" then 8 bits of 72
    public void ExpGolombCodesAreTheSpecifiedBits(long value, int k, string bits)
    {
        var w = new NnrBitWriter();
        w.WriteExpGolomb((ulong)value, k);
        while (!w.IsByteAligned) w.WriteBit(0);
        string written = string.Concat(w.ToArray().Select(b => Convert.ToString(b, 2).PadLeft(8, '0')));
        Assert.StartsWith(bits, written);
        Assert.Matches("^0*$", written[bits.Length..]);
        var r = new NnrBitReader(w.ToArray(), 0, w.ToArray().Length, "test");
        Assert.Equal((ulong)value, r.ReadExpGolomb(k, "x"));
    }

    [Theory]
    [InlineData(-38, 2, 6.0 / 4096)]   // k = 4: (4 + (−38 mod 4 = 2)) · 2^(⌊−38/4⌋ − 2) = 6 · 2^−12
    [InlineData(0, 2, 1.0)]
    [InlineData(5, 0, 32.0)]           // k = 1: (1 + 0) · 2^5
    [InlineData(-75, 2, 5.0 / 2097152)] // (4 + 1) · 2^(−19 − 2)
    public void StepSizesFollowTheQuantizationParameter(int qp, int density, double step) =>
        Assert.Equal(step, NnrUnitParser.StepSize(qp, density));
}
