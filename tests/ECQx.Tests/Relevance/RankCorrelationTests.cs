using ECQx.Relevance;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

public sealed class RankCorrelationTests
{
    private static Tensor T(params double[] v) => tensor(v);

    [Fact]
    public void TiedValuesGetTheMeanOfTheRanksTheySpan()
    {
        // sorted: 1 (rank 1), 2 (rank 2), 3 3 3 (ranks 3, 4, 5 → 4 each)
        Assert.Equal(new[] { 4.0, 1, 4, 4, 2 }, RankCorrelation.AverageRanks(T(3, 1, 3, 3, 2)).data<double>().ToArray());
        // all equal: every rank (1 + n)/2
        Assert.Equal(new[] { 2.5, 2.5, 2.5, 2.5 }, RankCorrelation.AverageRanks(T(7, 7, 7, 7)).data<double>().ToArray());
        // a 2×2 tensor is ranked flattened
        Assert.Equal(new[] { 2.0, 4, 1, 3 }, RankCorrelation.AverageRanks(tensor(new[] { 0.5f, 9f, -1f, 2f }).reshape(2, 2)).data<double>().ToArray());
    }

    [Fact]
    public void SpearmanWithTiesMatchesAHandComputedCase()
    {
        // ranks a = [1, 2.5, 2.5, 4], ranks b = [1, 3, 2, 4]; centred: [-1.5, 0, 0, 1.5] and [-1.5, 0.5, -0.5, 1.5]
        // ρ = 4.5 / sqrt(4.5 · 5) = 0.9486832980505138
        Assert.Equal(4.5 / Math.Sqrt(22.5), RankCorrelation.Spearman(T(1, 2, 2, 3), T(10, 30, 20, 40)), 12);
        // ignoring ties (argsort ranks [1, 2, 3, 4] for a) would give 0.8 instead
        Assert.NotEqual(0.8, RankCorrelation.Spearman(T(1, 2, 2, 3), T(10, 30, 20, 40)), 3);
    }

    [Fact]
    public void WithoutTiesSpearmanEqualsTheClassicSumOfSquaredRankDifferences()
    {
        var g = new Generator(7, CPU);
        for (int trial = 0; trial < 5; trial++)
        {
            long n = 50 + 37 * trial;
            var a = randn(n, dtype: float64, generator: g);
            var b = a + randn(n, dtype: float64, generator: g) * (0.5 * trial);
            var d = RankCorrelation.AverageRanks(a) - RankCorrelation.AverageRanks(b);
            double classic = 1 - 6 * d.square().sum().item<double>() / (n * (n * (double)n - 1));
            Assert.Equal(classic, RankCorrelation.Spearman(a, b), 10);
        }
    }

    [Fact]
    public void OrderIsAllThatCounts()
    {
        var g = new Generator(11, CPU);
        var a = randn(200, dtype: float64, generator: g);
        Assert.Equal(1.0, RankCorrelation.Spearman(a, a.exp() * 3 + 1), 12);   // strictly increasing transform
        Assert.Equal(-1.0, RankCorrelation.Spearman(a, -a.pow(3)), 12);        // strictly decreasing transform
        Assert.Equal(RankCorrelation.Spearman(a, a.abs()), RankCorrelation.Spearman(a.to(float32), a.abs().to(float32)), 12); // dtype-independent
    }

    [Fact]
    public void PearsonOfPrecomputedRanksIsSpearman()
    {
        var g = new Generator(5, CPU);
        var a = randint(0, 6, 300, generator: g).to(float64); // many ties
        var b = a + randint(0, 3, 300, generator: g).to(float64);
        Assert.Equal(RankCorrelation.Spearman(a, b), RankCorrelation.Pearson(RankCorrelation.AverageRanks(a), RankCorrelation.AverageRanks(b)), 12);
        // Pearson on a hand case: x = [1, 2, 3], y = [1, 3, 2] → cov 1.5/… = 0.5
        Assert.Equal(0.5, RankCorrelation.Pearson(T(1, 2, 3), T(1, 3, 2)), 12);
    }

    [Fact]
    public void ConstantInputHasNoOrderAndBadInputIsNamed()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman(T(1, 1, 1), T(1, 2, 3))));
        Assert.Contains("equally many", Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman(T(1, 2, 3), T(1, 2))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman(T(1, double.NaN, 3), T(1, 2, 3))).Message);
    }
}
