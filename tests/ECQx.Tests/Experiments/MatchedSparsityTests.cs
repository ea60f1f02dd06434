using ECQx.Experiments;
using ECQx.Plots;
using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>Matched-sparsity comparison against hand-computed interpolations.</summary>
public sealed class MatchedSparsityTests
{
    [Fact]
    public void InterpolatesLinearlyInsideTheRangeAndNotOutside()
    {
        var curve = new[] { (50.0, 80.0), (10.0, 90.0), (90.0, 20.0) };   // unsorted on purpose
        Assert.Equal(85.0, MatchedSparsity.Interpolate(curve, 30)!.Value, 12);   // 90 + (20/40)·(80 − 90)
        Assert.Equal(50.0, MatchedSparsity.Interpolate(curve, 70)!.Value, 12);   // 80 + (20/40)·(20 − 80)
        Assert.Equal(90.0, MatchedSparsity.Interpolate(curve, 10)!.Value, 12);   // an end point exactly
        Assert.Null(MatchedSparsity.Interpolate(curve, 9.99));
        Assert.Null(MatchedSparsity.Interpolate(curve, 90.01));
    }

    [Fact]
    public void PointsAtTheSameSparsityAreAveraged()
    {
        var curve = new[] { (10.0, 90.0), (10.0, 80.0), (30.0, 65.0) };
        Assert.Equal(85.0, MatchedSparsity.Interpolate(curve, 10)!.Value, 12);
        Assert.Equal(75.0, MatchedSparsity.Interpolate(curve, 20)!.Value, 12);   // (85 + 65) / 2
    }

    [Fact]
    public void ComparesBothMethodsAtEverySparsityInsideTheOverlap()
    {
        var results = new[]
        {
            new QuantizationResult("ECQ", 4, 90, 10), new QuantizationResult("ECQ", 4, 80, 50), new QuantizationResult("ECQ", 4, 20, 90),
            new QuantizationResult("ECQx", 4, 88, 30), new QuantizationResult("ECQx", 4, 84, 70),
            new QuantizationResult("ECQ", 2, 70, 95),                                  // 2 bit: ECQx has no run, so no points
        };
        var points = MatchedSparsity.Compare(results);
        // Overlap [30, 70]; grid = ECQ's 50 and ECQx's 30 and 70.
        Assert.Equal(new[] { 30.0, 50.0, 70.0 }, points.Select(p => p.SparsityPercent));
        Assert.All(points, p => Assert.Equal(4, p.BitWidth));
        Assert.Equal(new[] { 85.0, 80.0, 50.0 }, points.Select(p => Math.Round(p.AccuracyA, 9)));
        Assert.Equal(new[] { 88.0, 86.0, 84.0 }, points.Select(p => Math.Round(p.AccuracyB, 9)));
        Assert.Equal(new[] { 3.0, 6.0, 34.0 }, points.Select(p => Math.Round(p.Difference, 9)));
    }

    [Fact]
    public void DisjointRangesGiveNoPoints()
    {
        var results = new[]
        {
            new QuantizationResult("ECQ", 4, 90, 10), new QuantizationResult("ECQ", 4, 85, 20),
            new QuantizationResult("ECQx", 4, 80, 40), new QuantizationResult("ECQx", 4, 70, 60),
        };
        Assert.Empty(MatchedSparsity.Compare(results));
    }

    [Fact]
    public void SwappingTheMethodsNegatesTheDifference()
    {
        var results = new[]
        {
            new QuantizationResult("ECQ", 3, 91, 12), new QuantizationResult("ECQ", 3, 87, 61), new QuantizationResult("ECQ", 3, 60, 93),
            new QuantizationResult("ECQx", 3, 90.5, 20), new QuantizationResult("ECQx", 3, 88, 66), new QuantizationResult("ECQx", 3, 79, 95),
        };
        var ab = MatchedSparsity.Compare(results, "ECQ", "ECQx");
        var ba = MatchedSparsity.Compare(results, "ECQx", "ECQ");
        Assert.Equal(ab.Select(p => p.SparsityPercent), ba.Select(p => p.SparsityPercent));
        Assert.Equal(ab.Select(p => Math.Round(p.Difference, 9)), ba.Select(p => Math.Round(-p.Difference, 9)));
    }

    [Fact]
    public void NonFiniteInputIsAnErrorNamingThePoint()
    {
        var e = Assert.Throws<ArgumentException>(() => MatchedSparsity.Interpolate(new[] { (10.0, 90.0), (double.NaN, 80.0) }, 10));
        Assert.Contains("point #1", e.Message);
    }
}
