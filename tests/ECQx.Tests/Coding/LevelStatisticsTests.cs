using ECQx.Coding;
using Xunit;

namespace ECQx.Tests.Coding;

public class LevelStatisticsTests
{
    [Fact]
    public void EntropyOfHandComputedHistograms()
    {
        Assert.Equal(0, LevelStatistics.Entropy([]));
        Assert.Equal(0, LevelStatistics.Entropy([5, 5, 5]));
        Assert.Equal(1.0, LevelStatistics.Entropy([0, 0, 1, 1]), 12);
        Assert.Equal(2.0, LevelStatistics.Entropy([-2, -1, 0, 1]), 12);
        // p = (3/4, 1/4): H = 2 − (3/4)·log2 3.
        Assert.Equal(2 - 0.75 * Math.Log2(3), LevelStatistics.Entropy([0, 0, 0, 7]), 12);
        // Sparse histogram path (span ≥ 2^16) agrees with the dense one.
        Assert.Equal(1.5, LevelStatistics.Entropy([int.MinValue, int.MinValue, int.MaxValue, 0]), 12);
    }

    [Fact]
    public void SparsityCountsZeros()
    {
        Assert.Equal(0, LevelStatistics.Sparsity([]));
        Assert.Equal(0.75, LevelStatistics.Sparsity([0, 0, 3, 0]));
        Assert.Equal(new Dictionary<int, long> { [0] = 3, [3] = 1 }, LevelStatistics.Histogram([0, 0, 3, 0]));
    }
}
