using ECQx.XaiCompression;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

public class UnitSelectionTests
{
    private static Tensor[] RandomScores(int seed, params int[] sizes)
    {
        TorchRuntime.EnsureLoaded();
        using var gen = new Generator((ulong)seed);
        return sizes.Select(n => rand(n, generator: gen, dtype: float64)).ToArray();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.77)]
    public void GlobalPrunesExactlyTheRequestedCountOfLowestScores(double ratio)
    {
        var scores = RandomScores(7, 10, 37, 5);
        var masks = UnitSelection.LowestScored(scores, ratio, PruningScope.Global);
        var all = scores.SelectMany(s => s.data<double>().ToArray()).ToArray();
        var pruned = masks.SelectMany(m => m.data<bool>().ToArray()).ToArray();
        long k = (long)Math.Round(ratio * all.Length, MidpointRounding.AwayFromZero);
        Assert.Equal(k, pruned.Count(p => p));
        // scalar reference: every pruned score ≤ every kept score
        double maxPruned = all.Where((_, i) => pruned[i]).DefaultIfEmpty(double.NegativeInfinity).Max();
        double minKept = all.Where((_, i) => !pruned[i]).Min();
        Assert.True(maxPruned <= minKept);
    }

    [Fact]
    public void PerLayerPrunesRoundRatioTimesSizeInEachLayer()
    {
        var scores = RandomScores(9, 10, 37, 5);
        var masks = UnitSelection.LowestScored(scores, 0.4, PruningScope.Layer);
        for (int l = 0; l < scores.Length; l++)
        {
            var s = scores[l].data<double>().ToArray();
            var p = masks[l].data<bool>().ToArray();
            Assert.Equal((long)Math.Round(0.4 * s.Length, MidpointRounding.AwayFromZero), p.Count(x => x));
            var sortedIdx = Enumerable.Range(0, s.Length).OrderBy(i => s[i]).ToArray();
            var expected = sortedIdx.Take(p.Count(x => x)).OrderBy(i => i);
            Assert.Equal(expected, Enumerable.Range(0, s.Length).Where(i => p[i]));
        }
    }

    [Fact]
    public void TiesAreBrokenByPositionAndMinKeepProtectsTheTopUnit()
    {
        TorchRuntime.EnsureLoaded();
        var a = tensor(new double[] { 1, 1, 1 });
        var b = tensor(new double[] { 0, 0 });
        // global 3 of 5 with one kept per layer: b keeps one unit, so a loses two (its first two, ties by position)
        var masks = UnitSelection.LowestScored(new[] { a, b }, 0.6, PruningScope.Global, minKeepPerLayer: 1);
        Assert.Equal(3, masks.Sum(m => m.count_nonzero().item<long>()));
        Assert.Equal(1, masks[1].count_nonzero().item<long>());
        Assert.Equal(new[] { true, true, false }, masks[0].data<bool>().ToArray());
        Assert.Throws<ArgumentException>(() => UnitSelection.LowestScored(new[] { a, b }, 0.9, PruningScope.Global, minKeepPerLayer: 1));
    }

    [Fact]
    public void BadInputIsRejected()
    {
        var s = RandomScores(1, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => UnitSelection.LowestScored(s, 1.0, PruningScope.Global));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnitSelection.LowestScored(s, -0.1, PruningScope.Global));
        Assert.Throws<ArgumentException>(() => UnitSelection.LowestScored(new[] { tensor(new[] { 1.0, double.NaN }) }, 0.5, PruningScope.Global));
        Assert.Throws<ArgumentException>(() => UnitSelection.LowestScored(Array.Empty<Tensor>(), 0.5, PruningScope.Global));
    }
}
