using ECQx.Data;
using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.Data;

public class BatchPlanTests
{
    [Property(MaxTest = 60)]
    public bool BatchesPartitionTheIndices(PositiveInt countRaw, PositiveInt batchRaw, bool shuffle, bool dropLast, ulong seed, byte epoch)
    {
        int count = countRaw.Get % 300, batch = 1 + batchRaw.Get % 40;
        var options = new BatchOptions { BatchSize = batch, Shuffle = shuffle, DropLast = dropLast, Seed = seed };
        var plan = BatchPlan.For(count, options, epoch);
        var all = plan.SelectMany(b => b).ToList();
        bool sizes = plan.Take(Math.Max(0, plan.Count - 1)).All(b => b.Length == batch) && plan.All(b => b.Length > 0 && b.Length <= batch);
        bool distinct = all.Distinct().Count() == all.Count && all.All(i => i >= 0 && i < count);
        int expected = dropLast ? count / batch * batch : count;
        bool order = shuffle || all.SequenceEqual(Enumerable.Range(0, all.Count).Select(i => (long)i));
        return sizes && distinct && all.Count == expected && plan.Count == options.BatchesFor(count) && order;
    }

    [Fact]
    public void ShuffleIsAFunctionOfSeedAndEpoch()
    {
        var o = new BatchOptions { BatchSize = 10, Shuffle = true, Seed = 42 };
        var a = BatchPlan.For(100, o, 3).SelectMany(b => b).ToArray();
        var again = BatchPlan.For(100, o, 3).SelectMany(b => b).ToArray();
        var nextEpoch = BatchPlan.For(100, o, 4).SelectMany(b => b).ToArray();
        var otherSeed = BatchPlan.For(100, o with { Seed = 43 }, 3).SelectMany(b => b).ToArray();
        Assert.Equal(a, again);
        Assert.NotEqual(a, nextEpoch);
        Assert.NotEqual(a, otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), a);
    }

    [Fact]
    public void EpochSeedsAreDistinctAcrossEpochsAndStreams()
    {
        var seeds = new HashSet<ulong>();
        for (int e = 0; e < 100; e++)
        {
            seeds.Add(EpochSeeds.Derive(7, e, EpochSeeds.ShuffleStream));
            seeds.Add(EpochSeeds.Derive(7, e, EpochSeeds.AugmentStream));
        }
        Assert.Equal(200, seeds.Count);
        Assert.Equal(EpochSeeds.Derive(7, 5, 1), EpochSeeds.Derive(7, 5, 1));
    }

    [Fact]
    public void BadBatchSizeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchPlan.For(10, new BatchOptions { BatchSize = 0 }, 0));
        Assert.Contains("BatchSize", e.Message);
    }
}
