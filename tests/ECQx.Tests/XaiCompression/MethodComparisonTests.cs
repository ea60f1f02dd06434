using ECQx.XaiCompression;
using Xunit;

namespace ECQx.Tests.XaiCompression;

/// <summary>Paired differences of a method against the baseline over seeds, with the verdict of their 95 % interval.</summary>
public class MethodComparisonTests
{
    private static IEnumerable<MethodOutcome> Outcomes(string setting, string method, double[] values, double spent = 1000) =>
        values.Select((v, i) => new MethodOutcome(setting, method, i + 1, v, spent));

    [Fact]
    public void ThreeSeedsWhoseIntervalCoversZeroAreNoDifference()
    {
        // differences 1, 2, 0.5: mean 7/6, sd √(7/12) = 0.76376, half-width t(2) = 4.303 × 0.76376 / √3 = 1.89745
        var rows = Outcomes("a", "magnitude", new[] { 70, 72, 71.0 }).Concat(Outcomes("a", "deeplift", new[] { 71, 74, 71.5 }, 990));
        var c = Assert.Single(MethodComparison.Against(rows, "magnitude"));
        Assert.Equal("deeplift", c.Method);
        Assert.Equal(3, c.Difference.Count);
        Assert.Equal(7.0 / 6, c.Difference.Mean, 10);
        Assert.Equal(Math.Sqrt(7.0 / 12), c.Difference.StandardDeviation, 10);
        Assert.Equal(7.0 / 6 - 1.89745, c.Difference.Low, 4);
        Assert.Equal(7.0 / 6 + 1.89745, c.Difference.High, 4);
        Assert.Equal("no difference", c.Verdict);
        Assert.Equal(990, c.MethodSpent);
        Assert.Equal(1000, c.BaselineSpent);
    }

    [Fact]
    public void FiveSeedsWithATightIntervalAboveOrBelowZeroAreAheadOrBehind()
    {
        // differences 1, 1.2, 0.8, 1.1, 0.9: mean 1, sd √0.025 = 0.158114, half-width 2.776 × 0.158114 / √5 = 0.196293
        var baseline = Outcomes("s", "uniform", new[] { 50, 50, 50, 50, 50.0 });
        var rows = baseline.Concat(Outcomes("s", "deeplift", new[] { 51, 51.2, 50.8, 51.1, 50.9 }))
            .Concat(Outcomes("s", "lrp", new[] { 49, 48.8, 49.2, 48.9, 49.1 }));
        var cs = MethodComparison.Against(rows, "uniform");
        Assert.Equal(new[] { "deeplift", "lrp" }, cs.Select(c => c.Method));
        Assert.Equal(1 - 0.196293, cs[0].Difference.Low, 5);
        Assert.Equal(1 + 0.196293, cs[0].Difference.High, 5);
        Assert.Equal("ahead", cs[0].Verdict);
        Assert.Equal(-1 + 0.196293, cs[1].Difference.High, 5);
        Assert.Equal("behind", cs[1].Verdict);
    }

    [Fact]
    public void UnpairedSeedsAreLeftOutAndDuplicatesOrAMissingBaselineAreErrors()
    {
        var rows = new[]
        {
            new MethodOutcome("x", "base", 1, 10, 5), new MethodOutcome("x", "base", 2, 11, 5),
            new MethodOutcome("x", "m", 2, 13, 5), new MethodOutcome("x", "m", 3, 20, 5),
        };
        var c = Assert.Single(MethodComparison.Against(rows, "base"));
        Assert.Equal(1, c.Difference.Count);
        Assert.Equal(2, c.Difference.Mean);
        Assert.Equal("one seed, no interval", c.Verdict);
        Assert.Throws<ArgumentException>(() => MethodComparison.Against(rows.Append(rows[0]), "base"));
        Assert.Throws<ArgumentException>(() => MethodComparison.Against(rows, "other"));
    }
}
