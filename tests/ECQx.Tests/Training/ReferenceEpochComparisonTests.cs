using Xunit;

namespace ECQx.Tests.Training;

/// <summary>The seed-spread criterion of the one-epoch comparison (<see cref="ReferenceEpochComparison"/>), on hand-computed cases.</summary>
public class ReferenceEpochComparisonTests
{
    private static EpochRunResult Run(int seed, double accuracy, double sparsity) =>
        new(seed, 0.5, accuracy, new Dictionary<string, double> { ["w"] = sparsity });

    private static readonly Dictionary<string, long> Sizes = new() { ["w"] = 100 };

    [Fact]
    public void AShiftWithinTwoStandardErrorsIsWithinAndALargerOneIsNot()
    {
        // reference 0.70, 0.72, 0.74 (s = 0.02); ours shifted by +0.01: s = 0.02, pooled 0.02, standard error
        // 0.02·√(2/3) = 0.01633, bound 0.03266 ≥ |Δ| 0.01 → within.
        var reference = new[] { Run(1, 0.70, 0.3), Run(2, 0.72, 0.3), Run(3, 0.74, 0.3) };
        var close = new[] { Run(3, 0.75, 0.3), Run(1, 0.71, 0.3), Run(2, 0.73, 0.3) };
        var accuracy = ReferenceEpochComparison.Compare(reference, close, 1000, Sizes).Single(r => r.Metric == "accuracy");
        Assert.Equal(0.01, accuracy.MeanDifference, 12);
        Assert.Equal(0.02, accuracy.PooledSeedSpread, 12);
        Assert.Equal(2 * 0.02 * Math.Sqrt(2.0 / 3), accuracy.Bound, 12);
        Assert.True(accuracy.WithinSeedSpread);
        Assert.Equal([0.71, 0.73, 0.75], accuracy.Ours);

        // shifted by +0.03 with ours' spread 0 → pooled √(0.0004/2) ≈ 0.01414, bound 2·0.01414·√(2/3) ≈ 0.02309 < 0.03 → outside.
        var far = new[] { Run(1, 0.75, 0.3), Run(2, 0.75, 0.3), Run(3, 0.75, 0.3) };
        var shifted = ReferenceEpochComparison.Compare(reference, far, 1000, Sizes).Single(r => r.Metric == "accuracy");
        Assert.Equal(Math.Sqrt(0.0002), shifted.PooledSeedSpread, 12);
        Assert.Equal(0.023094, shifted.Bound, 6);
        Assert.False(shifted.WithinSeedSpread);
        Assert.Contains("**no**", shifted.ToMarkdownRow());
    }

    [Fact]
    public void WithoutSpreadOneWeightIsAllowedAndTwoAreNot()
    {
        var reference = new[] { Run(1, 0.7, 0.30), Run(2, 0.7, 0.30) };
        var oneWeight = ReferenceEpochComparison.Compare(reference, [Run(1, 0.7, 0.31), Run(2, 0.7, 0.31)], 1000, Sizes).Single(r => r.Metric == "w");
        Assert.Equal(0.0, oneWeight.PooledSeedSpread);
        Assert.Equal(0.01, oneWeight.Bound);
        Assert.True(oneWeight.WithinSeedSpread);
        var twoWeights = ReferenceEpochComparison.Compare(reference, [Run(1, 0.7, 0.32), Run(2, 0.7, 0.32)], 1000, Sizes).Single(r => r.Metric == "w");
        Assert.False(twoWeights.WithinSeedSpread);
    }

    [Fact]
    public void DifferentSeedsOrAMissingLayerAreRefused()
    {
        var reference = new[] { Run(1, 0.7, 0.3), Run(2, 0.7, 0.3) };
        var e = Assert.Throws<ArgumentException>(() => ReferenceEpochComparison.Compare(reference, [Run(1, 0.7, 0.3), Run(3, 0.7, 0.3)], 1000, Sizes));
        Assert.Contains("seeds 1, 2", e.Message);
        var missing = new EpochRunResult(2, 0.5, 0.7, new Dictionary<string, double>());
        Assert.Throws<ArgumentException>(() => ReferenceEpochComparison.Compare(reference, [Run(1, 0.7, 0.3), missing], 1000, Sizes));
    }
}
