using ECQx.Experiments;
using ECQx.Plots;
using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>The paper-style headline: largest ×-factor within 0.5 points of the baseline, on hand-made sweeps.</summary>
public sealed class CompressionHeadlineTests
{
    private static readonly QuantizationResult[] Sweep =
    [
        new("ECQ", 4, 89.6, 70, 10, 0.05),
        new("ECQ", 2, 89.4, 90, 30, 0.4),    // 0.6 points below: out
        new("ECQ", 3, 89.5, 80, 20, 0.2),    // exactly 0.5 below: in (inclusive)
        new("ECQx", 4, 91.0, 60, 5, 0.02),
        new("ECQx", 2, 89.0, 95, 50, 0.4),   // out
        new("Other", 2, 80.0, 99, 100, 0.8), // out, and the method's only run
    ];

    [Fact]
    public void PicksTheLargestFactorWithinTheTolerancePerMethod()
    {
        var h = CompressionHeadline.Find(Sweep, baselineAccuracyPercent: 90.0);
        Assert.Equal(new[] { "ECQ", "ECQx", "Other" }, h.Select(x => x.Method));
        Assert.Equal(20.0, h[0].Best!.CompressionFactor);
        Assert.Equal(3, h[0].Best!.BitWidth);
        Assert.Equal(5.0, h[1].Best!.CompressionFactor);
        Assert.Null(h[2].Best);
    }

    [Fact]
    public void AWiderToleranceAdmitsMoreRuns()
    {
        var h = CompressionHeadline.Find(Sweep, 90.0, tolerancePoints: 1.0);
        Assert.Equal(30.0, h[0].Best!.CompressionFactor);
        Assert.Equal(50.0, h[1].Best!.CompressionFactor);
    }

    [Fact]
    public void EqualFactorsGoToTheMoreAccurateRun()
    {
        var h = CompressionHeadline.Find(new QuantizationResult[] { new("ECQ", 4, 89.8, 70, 10), new("ECQ", 3, 90.2, 72, 10) }, 90.0);
        Assert.Equal(90.2, h.Single().Best!.AccuracyPercent);
    }

    [Fact]
    public void RunsWithoutAFactorAreIgnored()
    {
        var h = CompressionHeadline.Find(new QuantizationResult[] { new("ECQ", 4, 95, 70) }, 90.0);
        Assert.Null(h.Single().Best);
    }

    [Fact]
    public void TheSentenceStatesFactorSettingAndDistanceToTheBaseline()
    {
        var h = CompressionHeadline.Find(Sweep, 90.0);
        Assert.Equal("ECQ: 20.0× smaller at 3 bit, Λ = 0.2 (accuracy 89.50 %, −0.50 points vs FP; sparsity 80.0 %)", h[0].ToString());
        Assert.Equal("ECQx: 5.0× smaller at 4 bit, Λ = 0.02 (accuracy 91.00 %, +1.00 points vs FP; sparsity 60.0 %)", h[1].ToString());
        Assert.Equal("Other: no run within 0.5 points of the baseline (90.00 %)", h[2].ToString());
    }

    [Fact]
    public void BadBaselineOrToleranceIsRejected()
    {
        Assert.Throws<ArgumentException>(() => CompressionHeadline.Find(Sweep, double.NaN));
        Assert.Throws<ArgumentException>(() => CompressionHeadline.Find(Sweep, 90, -0.1));
    }
}
