using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>Every named error: the right exception type, naming the tensor and the offending value.</summary>
public class QuantizationErrorTests
{
    public QuantizationErrorTests() => TorchRuntime.EnsureLoaded();

    private static Codebook Grid() => new(2, 1.0, -2);

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteWeightsNameTensorAndFirstIndex(float bad)
    {
        var v = new float[] { 0.1f, -0.2f, 0.3f, bad, 0.5f, bad };
        using var w = torch.tensor(v).reshape(2, 3);
        var e1 = Assert.Throws<InvalidDataException>(() => Codebook.FromWeights(w, 4, name: "layer2.1.conv2.weight"));
        Assert.Contains("layer2.1.conv2.weight", e1.Message);
        Assert.Contains("flat index 3", e1.Message);
        using var cb = Grid();
        var e2 = Assert.Throws<InvalidDataException>(() => EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 6, "fc.weight"));
        Assert.Contains("fc.weight", e2.Message);
        Assert.Contains("flat index 3", e2.Message);
        Assert.Contains("non-finite", e2.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(-3)]
    public void BitWidthOutOfRange(int bits)
    {
        using var w = torch.tensor(new float[] { -1, 1 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Codebook.FromWeights(w, bits, name: "conv1.weight"));
        Assert.Contains("conv1.weight", e.Message);
        Assert.Contains(bits.ToString(), e.Message);
    }

    [Fact]
    public void SignedTensorWithOneBit()
    {
        using var w = torch.tensor(new float[] { -1, 1 });
        var e = Assert.Throws<ArgumentException>(() => Codebook.FromWeights(w, 1, name: "conv1.weight"));
        Assert.IsNotType<ArgumentOutOfRangeException>(e);
        Assert.Contains("conv1.weight", e.Message);
    }

    [Fact]
    public void NoWeightNearestZero()
    {
        using var cb = Grid();
        using var w = torch.tensor(new float[] { 0.9f, 1.2f, -1.1f, -2f });
        var e = Assert.Throws<InvalidDataException>(() => EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 4, "shifted"));
        Assert.Contains("shifted", e.Message);
        Assert.Contains("zero centroid", e.Message);
        // Without the entropy constraint there is no PMF, so nearest assignment works.
        using var q = EntropyConstrainedQuantizer.AssignNearest(w, cb, "shifted");
        Assert.Equal(new long[] { 1, 1, -1, -2 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void EmptyAndNonFloatTensors()
    {
        using var empty = torch.zeros(0, 3);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Codebook.FromWeights(empty, 4, name: "e")).Message);
        using var cb = Grid();
        Assert.Contains("'e'", Assert.Throws<ArgumentException>(() => EntropyConstrainedQuantizer.Assign(empty, cb, null, 1, "e")).Message);
        using var ints = torch.ones(3, torch.ScalarType.Int32);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => Codebook.FromWeights(ints, 4, name: "i")).Message);
    }

    [Fact]
    public void NMaxSmallerThanTensor()
    {
        using var cb = Grid();
        using var w = torch.tensor(new float[] { 0.1f, 0.2f, 0.3f });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 2, "small"));
        Assert.Contains("small", e.Message);
    }

    [Fact]
    public void BadOptions()
    {
        using var cb = Grid();
        using var w = torch.tensor(new float[] { 0.1f, 0.2f, 0.3f });
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, new EcqOptions { Lambda = -1 }, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, new EcqOptions { Lambda = double.NaN }, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, new EcqOptions { Sustain = -0.1 }, 3));
        using var r = torch.ones(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 3, "x", r, new EcqxOptions { Rho = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 3, "x", r, new EcqxOptions { P = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 3, "x", r, new EcqxOptions { SlowStep = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 3, "x", r, new EcqxOptions { MaxIterations = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Codebook.FromWeights(w, 4, new CodebookOptions { Percentile = 101 }));
    }

    [Fact]
    public void RelevanceShapeMismatch()
    {
        using var cb = Grid();
        using var w = torch.tensor(new float[] { 0.1f, 0.2f, 0.3f, 0.4f }).reshape(2, 2);
        using var r = torch.ones(4);
        var e = Assert.Throws<ArgumentException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 4, "layer1.0.conv1.weight", r));
        Assert.Contains("layer1.0.conv1.weight", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void NaNRelevance()
    {
        using var cb = Grid();
        using var w = torch.tensor(EcqAssignmentTests.Hand);
        var rel = Enumerable.Repeat(1f, 10).ToArray();
        rel[7] = float.NaN;
        using var r = torch.tensor(rel);
        var e = Assert.Throws<InvalidDataException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 10, "rel.weight", r));
        Assert.Contains("rel.weight", e.Message);
        Assert.Contains("relevance", e.Message);
        Assert.Contains("flat index 7", e.Message);
    }

    [Fact]
    public void DisposedCodebook()
    {
        var cb = Grid();
        cb.Dispose();
        using var w = torch.tensor(new float[] { 0.1f });
        Assert.Throws<ObjectDisposedException>(() => EntropyConstrainedQuantizer.Assign(w, cb, null, 1));
    }
}
