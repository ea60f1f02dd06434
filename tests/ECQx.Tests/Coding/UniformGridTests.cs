using ECQx.Coding;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Coding;

public class UniformGridTests
{
    public UniformGridTests() => ECQx.TorchRuntime.EnsureLoaded();

    /// <summary>Float32 values k·Δ computed the way a float32 quantizer does (k and Δ in float32, one rounding).</summary>
    private static Tensor OnGrid(int[] levels, float step, long[] shape) =>
        (torch.tensor(levels, dtype: float32) * torch.tensor(step, dtype: float32)).reshape(shape);

    private static int[] Bits(Tensor t) => t.contiguous().flatten().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void QuantizeWithAKnownStepRecoversTheLevelsAndDecodesBitIdentically()
    {
        int[] levels = LevelSamples.Laplacian(2 * 3 * 3 * 3, 2.0, -8, 7, seed: 1);
        const float step = 0.0371f;
        using var values = OnGrid(levels, step, [2, 3, 3, 3]);
        var q = UniformGrid.Quantize("w", values, step, bitWidth: 4);
        Assert.Equal(levels, q.Levels.ToArray());
        Assert.Equal(4, q.BitWidth);
        Assert.Equal(-8, q.MinLevel);
        Assert.Empty(q.Patches);
        using var back = StateDictAdapter.Dequantize(q);
        Assert.Equal(values.shape, back.shape);
        Assert.Equal(Bits(values), Bits(back));
    }

    [Fact]
    public void NegativeZeroAndOffRoundingValuesArePatched()
    {
        using var values = torch.tensor(new[] { 0.5f, -0f, 1.0f, 1.5f + 1e-7f, -2.0f, 0f }, dtype: float32).reshape(2, 3);
        var q = UniformGrid.Quantize("w", values, 0.5, bitWidth: 4);
        Assert.Equal(new[] { 1, 0, 2, 3, -4, 0 }, q.Levels.ToArray());
        Assert.Equal(new[] { 1, 3 }, q.Patches.Select(p => p.Index));
        using var back = StateDictAdapter.Dequantize(q);
        Assert.Equal(Bits(values), Bits(back));
    }

    [Fact]
    public void OffGridValuesAreReportedWithTheTensorAndValue()
    {
        using var values = torch.tensor(new[] { 0.5f, 1.0f, 1.3f, 0f }, dtype: float32).reshape(2, 2);
        var e = Assert.Throws<InvalidDataException>(() => UniformGrid.Quantize("layer.weight", values, 0.5));
        Assert.Contains("'layer.weight'", e.Message);
        Assert.Contains("1.3", e.Message);
        Assert.Contains("index 2", e.Message);
    }

    [Fact]
    public void NonFiniteValuesAreReported()
    {
        using var values = torch.tensor(new[] { 0.5f, float.NaN, 0f, 1f }, dtype: float32).reshape(2, 2);
        var e = Assert.Throws<InvalidDataException>(() => UniformGrid.Quantize("bad", values, 0.5));
        Assert.Contains("'bad'", e.Message);
        Assert.Contains("index 1", e.Message);
        Assert.Throws<InvalidDataException>(() => UniformGrid.InferStep(values, "bad"));
    }

    [Fact]
    public void LevelsThatDoNotFitTheDeclaredBitWidthAreReported()
    {
        using var values = OnGrid([0, 1, 2, 3, -3], 0.25f, [5, 1]);
        var e = Assert.Throws<InvalidDataException>(() => UniformGrid.Quantize("w", values, 0.25, bitWidth: 2));
        Assert.Contains("2-bit", e.Message);
        Assert.Equal(3, UniformGrid.Quantize("w", values, 0.25).BitWidth);
    }

    [Theory]
    [InlineData(0.0123f)]
    [InlineData(1e-4f)]
    [InlineData(3.0f)]
    public void InferStepRecoversTheGrid(float step)
    {
        int[] levels = LevelSamples.Laplacian(4096, 1.5, -8, 7, seed: 2);
        using var values = OnGrid(levels, step, [64, 64]);
        double? inferred = UniformGrid.InferStep(values, "w");
        Assert.NotNull(inferred);
        Assert.Equal(step, inferred!.Value, step * 1e-6);
        var q = UniformGrid.Quantize("w", values, inferred.Value);
        Assert.Equal(levels, q.Levels.ToArray());
        Assert.Empty(q.Patches);
    }

    [Fact]
    public void InferStepUsesAGcdOfTheGaps()
    {
        // Magnitudes 3Δ and 5Δ only: the smallest gap is 2Δ, which does not divide 3Δ; Δ does.
        using var values = OnGrid([3, -5, 0, 5, 3, -3], 0.1f, [2, 3]);
        double step = UniformGrid.InferStep(values, "w")!.Value;
        Assert.Equal(0.1, step, 1e-7);
        // Only even levels: the coarser grid 2Δ is a valid grid too.
        using var even = OnGrid([2, -4, 0, 6], 0.1f, [2, 2]);
        Assert.Equal(0.2, UniformGrid.InferStep(even, "w")!.Value, 1e-7);
    }

    [Fact]
    public void InferStepOfAllZerosIsNull()
    {
        using var zeros = torch.zeros(3, 3);
        Assert.Null(UniformGrid.InferStep(zeros, "w"));
    }

    [Fact]
    public void InferStepRejectsFullPrecisionWeights()
    {
        using var weights = torch.randn(new long[] { 16, 16, 3, 3 }, generator: new torch.Generator(7));
        var e = Assert.Throws<InvalidDataException>(() => UniformGrid.InferStep(weights, "conv.weight"));
        Assert.Contains("'conv.weight'", e.Message);
        Assert.Contains("uniform grid", e.Message);
        Assert.Contains("value", e.Message);
    }

    [Theory]
    [InlineData(-8, 7, 4, -8)]
    [InlineData(-7, 8, 4, -7)]
    [InlineData(0, 15, 4, 0)]
    [InlineData(-3, 3, 4, -8)]
    [InlineData(-9, 5, 4, -9)]
    [InlineData(-1, 0, 1, -1)]
    [InlineData(0, 1, 1, 0)]
    [InlineData(int.MinValue, int.MaxValue, 32, int.MinValue)]
    public void CodebookOffsetsFollowTheSpecConventions(int min, int max, int bits, int expected) =>
        Assert.Equal(expected, ECQx.Quantization.Codebook.LowestLevelHolding(min, max, bits));

    [Theory]
    [InlineData(-9, 7, 4)]
    [InlineData(0, 2, 1)]
    public void CodebookOffsetIsNullWhenTheSpanDoesNotFit(int min, int max, int bits) =>
        Assert.Null(ECQx.Quantization.Codebook.LowestLevelHolding(min, max, bits));

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(0, 1, 1)]
    [InlineData(-1, 1, 2)]
    [InlineData(-8, 7, 4)]
    [InlineData(-8, 8, 5)]
    [InlineData(int.MinValue, int.MaxValue, 32)]
    public void SmallestWidthHoldsTheSpan(int min, int max, int expected) =>
        Assert.Equal(expected, UniformGrid.SmallestWidth(min, max));
}
