using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

public class SelectionAndGradientTests
{
    public SelectionAndGradientTests() => TorchRuntime.EnsureLoaded();

    private static readonly (string, IReadOnlyList<long>)[] ResNetLike =
    {
        ("conv1.weight", new long[] { 16, 3, 3, 3 }),
        ("bn1.weight", new long[] { 16 }),
        ("bn1.num_batches_tracked", Array.Empty<long>()),
        ("layer2.0.conv1.weight", new long[] { 32, 16, 3, 3 }),
        ("layer2.0.downsample.0.weight", new long[] { 32, 16, 1, 1 }),
        ("aux_classifier.4.weight", new long[] { 10, 32, 1, 1 }),
        ("linear.weight", new long[] { 10, 64 }),
        ("linear.bias", new long[] { 10 }),
    };

    [Fact]
    public void SelectsMultiDimensionalNonExcludedTensors()
    {
        var s = new QuantizationSelector().Select(ResNetLike);
        Assert.Equal(new[] { "conv1.weight", "layer2.0.conv1.weight", "linear.weight" }, s);
    }

    [Fact]
    public void ExcludeLastLayerAndCustomExclusions()
    {
        var s = new QuantizationSelector(new QuantizationSelectorOptions { ExcludeLastLayer = true }).Select(ResNetLike);
        Assert.Equal(new[] { "conv1.weight", "layer2.0.conv1.weight" }, s);
        var c = new QuantizationSelector(new QuantizationSelectorOptions { ExcludedNameParts = new[] { "conv1" } }).Select(ResNetLike);
        Assert.Equal(new[] { "layer2.0.downsample.0.weight", "aux_classifier.4.weight", "linear.weight" }, c);
        Assert.False(new QuantizationSelector().IsQuantizable("fc.bias", 1));
        Assert.Throws<ArgumentException>(() => new QuantizationSelector(new QuantizationSelectorOptions { ExcludedNameParts = new[] { "" } }));
    }

    [Fact]
    public void DuplicateNamesAreAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => new QuantizationSelector().Select(new (string, IReadOnlyList<long>)[]
        {
            ("a.weight", new long[] { 2, 2 }), ("a.weight", new long[] { 2, 2 }),
        }));
        Assert.Contains("a.weight", e.Message);
    }

    [Fact]
    public void GradientIsScaledBySignedCentroidOrMagnitude()
    {
        // q = [−0.5, 0, 1.5, −0.5], g = [2, 3, 4, −1] → signed [−1, 3, 6, 0.5]; magnitude [1, 3, 6, −0.5].
        using var q = torch.tensor(new float[] { -0.5f, 0, 1.5f, -0.5f }).reshape(2, 2);
        using var g = torch.tensor(new float[] { 2, 3, 4, -1 }).reshape(2, 2);
        using var s = StraightThroughEstimator.ScaleGradient(g, q);
        Assert.Equal(new[] { -1f, 3, 6, 0.5f }, s.data<float>().ToArray());
        Assert.Equal(new long[] { 2, 2 }, s.shape);
        using var m = StraightThroughEstimator.ScaleGradient(g, q, GradientScaling.Magnitude);
        Assert.Equal(new[] { 1f, 3, 6, -0.5f }, m.data<float>().ToArray());
    }

    [Fact]
    public void GradientPassesThroughForUnquantizedTensors()
    {
        using var q = torch.linspace(-1, 1, 300);          // 300 distinct values > 256
        using var g = torch.randn(300);
        using var s = StraightThroughEstimator.ScaleGradient(g, q);
        Assert.True(QuantTestData.Same(s, g));
        Assert.NotSame(g, s);
        using var q256 = torch.linspace(-1, 1, 256);       // exactly 256 → scaled
        using var g256 = torch.ones(256);
        using var s256 = StraightThroughEstimator.ScaleGradient(g256, q256);
        using var expected = torch.where(q256.eq(0), torch.ones_like(q256), q256);
        Assert.True(QuantTestData.Same(s256, expected));
    }

    [Fact]
    public void QuantizedTensorOverloadAgreesWithTheGeneralOne()
    {
        var v = QuantTestData.Weights(500, seed: 4);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, 3);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, null, 500);
        using var g = torch.randn(500, generator: new torch.Generator(3));
        using var a = StraightThroughEstimator.ScaleGradient(g, q);
        using var b = StraightThroughEstimator.ScaleGradient(g, q.Values);
        Assert.True(QuantTestData.Same(a, b));
        using var wrong = torch.ones(3);
        Assert.Throws<ArgumentException>(() => StraightThroughEstimator.ScaleGradient(wrong, q));
    }

    [Fact]
    public void CodebookOverloadAgreesWithTheGeneralOneOnAndOffTheGrid()
    {
        var v = QuantTestData.Weights(500, seed: 5);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, 4);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, null, 500);
        using var g = torch.randn(500, generator: new torch.Generator(4));
        foreach (var scaling in new[] { GradientScaling.SignedCentroid, GradientScaling.Magnitude })
        {
            using var a = StraightThroughEstimator.ScaleGradient(g, q.Values, cb, scaling);
            using var b = StraightThroughEstimator.ScaleGradient(g, q.Values, scaling);
            Assert.True(QuantTestData.Same(a, b));
        }
        // Off the grid (the raw weights, 500 distinct values): passed through, as the general overload does.
        using var raw = StraightThroughEstimator.ScaleGradient(g, w, cb);
        Assert.True(QuantTestData.Same(raw, g));
        using var wrong = torch.ones(3);
        Assert.Throws<ArgumentException>(() => StraightThroughEstimator.ScaleGradient(wrong, q.Values, cb));
    }
}
