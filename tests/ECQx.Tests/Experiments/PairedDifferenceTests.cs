using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Experiments;

public sealed class PairedDifferenceTests
{
    [Fact]
    public void ThreeSeedsGiveTheHandComputedMeanSdAndTInterval()
    {
        // differences 1, 2, 6: mean 3, sd √((4 + 1 + 9)/2) = √7, half width t(2) · √7/√3 = 4.303 · 1.527525 = 6.572940
        var d = PairedDifference.Of(new[] { 1.0, 2.0, 6.0 });
        Assert.Equal(3, d.Count);
        Assert.Equal(3.0, d.Mean, 12);
        Assert.Equal(Math.Sqrt(7), d.StandardDeviation, 12);
        Assert.Equal(3 - 6.572940, d.Low, 5);
        Assert.Equal(3 + 6.572940, d.High, 5);
        Assert.False(d.Positive);   // the interval covers zero: "no difference" with three seeds this spread
        Assert.False(d.Negative);
        Assert.Equal("+3.00 ± 2.65 (95 % CI −3.57 … +9.57, n = 3)", d.ToString());
    }

    [Fact]
    public void ConsistentDifferencesAreAheadAndUnmatchedPairsAreLeftOut()
    {
        var d = PairedDifference.Of(new[] { 10.0, 12.0, double.NaN, 11.0 });
        Assert.Equal(3, d.Count);
        Assert.True(d.Positive);     // 11 ± 4.303 · 1/√3 = 11 ± 2.484
        Assert.Equal(11 - 4.303 / Math.Sqrt(3), d.Low, 9);
        Assert.True(PairedDifference.Of(new[] { -3.0, -2.0, -2.5 }).Negative);   // −2.5 ± 4.303 · 0.5/√3
        Assert.False(PairedDifference.Of(new[] { -3.0, -2.0 }).Negative);       // two seeds: t(1) = 12.706 makes the interval cover zero
    }

    [Fact]
    public void FewerThanTwoValuesHaveNoInterval()
    {
        Assert.Equal("no values", PairedDifference.Of(Array.Empty<double>()).ToString());
        var one = PairedDifference.Of(new[] { 2.5 });
        Assert.Equal(2.5, one.Mean);
        Assert.True(double.IsNaN(one.Low));
        Assert.False(one.Positive);
    }

    [Theory]
    [InlineData(1, 12.706)]
    [InlineData(30, 2.042)]
    [InlineData(40, 2.021)]   // tables: 2.0211
    [InlineData(60, 2.000)]   // 2.0003
    [InlineData(120, 1.980)]  // 1.9799
    public void TheTQuantileMatchesTables(int df, double expected) =>
        Assert.Equal(expected, PairedDifference.StudentT975(df), 3);

    [Fact]
    public void TheTQuantileFallsTowardsTheNormalQuantile()
    {
        double previous = double.MaxValue;
        for (int df = 1; df <= 1000; df++)
        {
            double t = PairedDifference.StudentT975(df);
            Assert.True(t < previous && t > 1.959963, $"t({df}) = {t}");
            previous = t;
        }
    }
}
