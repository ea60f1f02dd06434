using ECQx.Coding;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.Coding;

public class LevelCoderTests
{
    private static readonly CoderOptions NoTrial = CoderOptions.Default with { OptimizeContextParameters = false };

    private static void AssertRoundTrip(int[] levels, CoderOptions? options = null)
    {
        byte[] stream = LevelCoder.Encode(levels, options);
        int[] decoded = LevelCoder.Decode(stream, levels.Length);
        Assert.Equal(levels, decoded);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RoundTripsEveryBitWidth(int bits)
    {
        var (lo, hi) = LevelSamples.SignedRange(bits);
        foreach (int count in new[] { 1, 2, 17, 1000, 50_000 })
        {
            AssertRoundTrip(LevelSamples.Uniform(count, lo, hi, seed: bits * 100 + count));
            AssertRoundTrip(LevelSamples.Laplacian(count, 0.2 * (1 << bits), lo, hi, seed: bits + count), NoTrial);
            AssertRoundTrip(LevelSamples.Uniform(count, 0, (1 << bits) - 1, seed: count), // unsigned codebook
                CoderOptions.Default with { GreaterThanFlags = 3 });
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1 << 20)]
    public void RoundTripsAllZeroTensors(int count)
    {
        AssertRoundTrip(new int[count]);
        AssertRoundTrip(new int[count], NoTrial);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(-100_000)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void RoundTripsSingleElements(int level)
    {
        for (int g = 0; g <= 16; g += 4) AssertRoundTrip([level], CoderOptions.Default with { GreaterThanFlags = g });
    }

    [Fact]
    public void RoundTripsExtremeLevels()
    {
        int[] levels = [int.MinValue, int.MaxValue, 0, -1, 1, int.MinValue + 1, int.MaxValue - 1, 1 << 30, -(1 << 30), 65535, 65536, -65537];
        for (int g = 0; g <= LevelContexts.MaxGreaterThanFlags; g++)
        {
            AssertRoundTrip(levels, CoderOptions.Default with { GreaterThanFlags = g });
            AssertRoundTrip(levels, NoTrial with { GreaterThanFlags = g });
        }
    }

    [Property(MaxTest = 300)]
    public Property RoundTripsArbitraryIntegers() =>
        Prop.ForAll(
            Gen.Choose(0, LevelContexts.MaxGreaterThanFlags).ToArbitrary(),
            ArbMap.Default.ArbFor<int[]>(),
            ArbMap.Default.ArbFor<bool>(),
            (g, levels, trial) =>
            {
                var options = new CoderOptions { GreaterThanFlags = g, OptimizeContextParameters = trial, TrialLevels = 1 + levels.Length / 2 };
                return LevelCoder.Decode(LevelCoder.Encode(levels, options), levels.Length).SequenceEqual(levels);
            });

    [Property(MaxTest = 200)]
    public Property RoundTripsSmallMagnitudeRuns() =>
        Prop.ForAll(
            Gen.Choose(-3, 3).ArrayOf().ToArbitrary(),
            levels => LevelCoder.Decode(LevelCoder.Encode(levels), levels.Length).SequenceEqual(levels));

    [Fact]
    public void DecoderConsumesExactlyTheEncodedBytes()
    {
        int[] levels = LevelSamples.Laplacian(5000, 1.2, -8, 7, seed: 3);
        byte[] stream = LevelCoder.Encode(levels);
        var truncated = Assert.Throws<InvalidDataException>(() => LevelCoder.Decode(stream.AsSpan(0, stream.Length - 1), levels.Length));
        Assert.Contains("truncated", truncated.Message);
        byte[] longer = [.. stream, 0];
        var trailing = Assert.Throws<InvalidDataException>(() => LevelCoder.Decode(longer, levels.Length));
        Assert.Contains("trailing", trailing.Message);
    }

    [Fact]
    public void TrialPassIsSignalledAndOnlyUsedWhenItPays()
    {
        int[] levels = LevelSamples.Laplacian(200_000, 0.6, -8, 7, seed: 11);
        byte[] optimised = LevelCoder.Encode(levels);
        byte[] plain = LevelCoder.Encode(levels, NoTrial);
        Assert.True(optimised.Length < plain.Length, $"{optimised.Length} vs {plain.Length}");
        // A tiny tensor: signalling would cost more than it saves, so the streams are identical.
        int[] tiny = [0, 1, 0, -1];
        Assert.Equal(LevelCoder.Encode(tiny, NoTrial), LevelCoder.Encode(tiny));
    }

    [Theory]
    [InlineData(4, 0.6)]
    [InlineData(4, 1.5)]
    [InlineData(2, 0.5)]
    [InlineData(6, 3.0)]
    [InlineData(8, 12.0)]
    public void IidLaplacianCodesWithinOnePercentOfTheEntropyBound(int bits, double scale)
    {
        var (lo, hi) = LevelSamples.SignedRange(bits);
        int[] levels = LevelSamples.Laplacian(1 << 20, scale, lo, hi, seed: bits);
        double bound = levels.Length * LevelStatistics.Entropy(levels) / 8;
        double coded = LevelCoder.Encode(levels).Length;
        Assert.InRange(coded / bound, 0.99, 1.01);
    }

    [Theory]
    [InlineData(2, 1.0)]
    [InlineData(5, 4.0)]
    [InlineData(8, 30.0)]
    public void IidGaussianCodesWithinOnePercentOfTheEntropyBound(int bits, double sd)
    {
        var (lo, hi) = LevelSamples.SignedRange(bits);
        int[] levels = LevelSamples.Gaussian(1 << 20, sd, lo, hi, seed: bits);
        double bound = levels.Length * LevelStatistics.Entropy(levels) / 8;
        double coded = LevelCoder.Encode(levels).Length;
        Assert.InRange(coded / bound, 0.99, 1.01);
    }

    [Fact]
    public void SparseLevelsCodeWellBelowOneBitPerWeight()
    {
        var random = new Random(5);
        int[] levels = new int[1 << 20];
        for (int i = 0; i < levels.Length; i++)
            if (random.NextDouble() < 0.05) levels[i] = random.Next(2) == 0 ? -1 - random.Next(3) : 1 + random.Next(3);
        double bitsPerWeight = LevelCoder.Encode(levels).Length * 8.0 / levels.Length;
        double entropy = LevelStatistics.Entropy(levels);
        Assert.True(bitsPerWeight < 0.5, $"{bitsPerWeight:F3} bits/weight");
        Assert.True(bitsPerWeight < entropy * 1.01, $"{bitsPerWeight:F4} vs H = {entropy:F4}");
    }

    [Fact]
    public void ContextModellingBeatsTheZerothOrderBoundOnStructuredLevels()
    {
        // Filters with very different sparsity (as in pruned conv layers): the significance contexts see the
        // neighbourhood, so the coder goes below the memoryless bound.
        var random = new Random(9);
        var levels = new List<int>();
        for (int filter = 0; filter < 256; filter++)
        {
            double density = filter % 4 == 0 ? 0.9 : 0.05;
            for (int i = 0; i < 576; i++)
                levels.Add(random.NextDouble() < density ? (random.Next(2) == 0 ? -1 : 1) * (1 + random.Next(4)) : 0);
        }
        int[] array = levels.ToArray();
        double bound = array.Length * LevelStatistics.Entropy(array) / 8;
        Assert.True(LevelCoder.Encode(array).Length < 0.9 * bound);
    }

    [Fact]
    public void MostCompressibleStreamRespectsTheLevelsPerByteBound()
    {
        // All-zero levels drive the significance contexts to their most confident state.
        foreach (var options in new[] { CoderOptions.Default, NoTrial })
        {
            byte[] stream = LevelCoder.Encode(new int[1 << 22], options);
            Assert.True((long)stream.Length * 10_500 >= 1 << 22, $"{stream.Length} bytes hold {1 << 22} levels");
            Assert.True(stream.Length * (long)LevelCoder.MaxLevelsPerStreamByte >= 1 << 22);
        }
    }

    [Fact]
    public void RejectsCountsTheStreamCannotHoldBeforeAllocating()
    {
        byte[] stream = LevelCoder.Encode([0, 0, 0]);
        var e = Assert.Throws<InvalidDataException>(() => LevelCoder.Decode(stream, int.MaxValue));
        Assert.Contains("cannot hold", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LevelCoder.Decode(stream, -1));
        Assert.Throws<InvalidDataException>(() => LevelCoder.Decode([1, 2, 3], 0));
    }

    [Fact]
    public void RejectsAHeaderWithTooManyFlags()
    {
        var encoder = new RangeEncoder(16);
        encoder.EncodeBypass(17, 5);
        encoder.EncodeBypass(1, 1);
        encoder.EncodeBypass(0, 1);
        byte[] stream = encoder.Finish();
        var e = Assert.Throws<InvalidDataException>(() => LevelCoder.Decode(stream, 0));
        Assert.Contains("greater-than flags", e.Message);
    }

    [Fact]
    public void RandomStreamsEitherDecodeOrFailCleanly()
    {
        var random = new Random(1234);
        int failures = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var stream = new byte[random.Next(0, 64)];
            random.NextBytes(stream);
            int count = random.Next(0, 4000);
            try
            {
                LevelCoder.Decode(stream, count);
            }
            catch (InvalidDataException)
            {
                failures++;
            }
        }
        Assert.True(failures > 2500, $"only {failures} of 3000 random streams were rejected");
    }

    [Fact]
    public void CorruptedStreamsEitherDecodeOrFailCleanly()
    {
        var random = new Random(77);
        int[] levels = LevelSamples.Laplacian(3000, 1.0, -8, 7, seed: 1);
        byte[] stream = LevelCoder.Encode(levels);
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] corrupt = (byte[])stream.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++) corrupt[random.Next(corrupt.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                LevelCoder.Decode(corrupt, levels.Length);
            }
            catch (InvalidDataException)
            {
            }
        }
    }
}
