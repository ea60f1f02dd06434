using ECQx.Experiments;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.Cluster;

public sealed class SweepPlanTests
{
    private static SweepPlan Plan(IEnumerable<double> costs)
    {
        var runs = costs.Select((c, i) => new SweepRun($"m-ecq-{i}bit-lambda0.1", "m", "ECQ", i, 0.1, c)).ToList();
        return new SweepPlan(new[] { new SweepBaseline("m", false, 1) }, runs);
    }

    [Property(MaxTest = 200)]
    public bool EveryRunIsInExactlyOneShardAndTheLoadsDifferByAtMostTheLargestRun(PositiveInt[] costs, PositiveInt shards)
    {
        if (costs.Length == 0) return true;
        int n = 1 + shards.Get % 12;
        var plan = Plan(costs.Select(c => (double)(c.Get % 1000)));
        var parts = Enumerable.Range(0, n).Select(i => plan.Shard(new SweepShard(i, n))).ToList();
        var all = parts.SelectMany(p => p.Select(r => r.Name)).ToList();
        bool partition = all.Count == plan.Runs.Count && all.ToHashSet().SetEquals(plan.Runs.Select(r => r.Name));
        var loads = parts.Select(p => p.Sum(r => r.EstimatedCost)).ToList();
        bool balanced = loads.Max() - loads.Min() <= plan.Runs.Max(r => r.EstimatedCost) + 1e-9;
        // each shard keeps sweep order
        bool ordered = parts.All(p => p.Select(r => plan.Runs.ToList().IndexOf(r)).SequenceEqual(p.Select(r => plan.Runs.ToList().IndexOf(r)).Order()));
        return partition && balanced && ordered;
    }

    [Fact]
    public void TheAssignmentDependsOnlyOnNamesAndCostsNotOnTheOrderTheRunsAreListed()
    {
        var costs = new double[] { 5, 3, 3, 8, 1, 1, 2, 8 };
        var a = Plan(costs);
        var reversed = new SweepPlan(a.Baselines, a.Runs.Reverse().ToList());
        Assert.Equal(a.ShardAssignment(3).OrderBy(kv => kv.Key), reversed.ShardAssignment(3).OrderBy(kv => kv.Key));
        Assert.Equal(a.ShardAssignment(3), Plan(costs).ShardAssignment(3));
    }

    [Fact]
    public void LongestRunsAreSpreadFirstByHand()
    {
        // costs 8, 8, 5, 3, 3, 2, 1, 1 over 3 shards: 8→0, 8→1, 5→2, 3→2 (5 < 8), 3→0 (8 = 8 = 8: lowest index),
        // 2→1 (10 vs 8 vs 8 → first 8 is shard 1), 1→2 (8), 1→2 (9): loads 11, 10, 10
        var plan = Plan(new double[] { 5, 3, 3, 8, 1, 1, 2, 8 });
        var loads = Enumerable.Range(0, 3).Select(i => plan.Shard(new SweepShard(i, 3)).Sum(r => r.EstimatedCost)).ToArray();
        Assert.Equal(new double[] { 11, 10, 10 }, loads);
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    public void ShardsParse(string text, int index, int count) => Assert.Equal(new SweepShard(index, count), SweepShard.Parse(text));

    [Theory]
    [InlineData("3/3", "below the count")]
    [InlineData("1/0", "at least 1")]
    [InlineData("-1/3", "is not I/N")]
    [InlineData("1", "is not I/N")]
    [InlineData("a/b", "is not I/N")]
    public void BadShardsAreRefusedNamingTheText(string text, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => SweepShard.Parse(text));
        Assert.Contains(text, e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void CostsFollowEpochsBatchesParametersAndTheEcqxPass()
    {
        var config = new ResolvedConfig("primer", true, new[] { "a", "b" }, new[] { "ECQ", "ECQx" }, "lrp", new[] { 2 }, new[] { 0.1 },
            Epochs: 2, BaselineEpochs: 3, MaxBatchesPerEpoch: 5, BaselineMaxBatchesPerEpoch: null, BatchSize: 10, LearningRate: 1e-3, Seed: 1,
            Data: "d", Device: "cpu", Threads: 1);
        // 100 train samples → 10 batches/epoch; 20 test → 2 batches. a: 1 M parameters, pretrained; b: 2 M, trained here.
        var plan = SweepPlan.Create(config, m => m == "a", m => m == "a" ? 1_000_000 : 2_000_000, trainCount: 100, testCount: 20);
        Assert.Equal(new[] { 2.0, 2 * (3 * 10 + 2.0) }, plan.Baselines.Select(b => b.EstimatedCost));
        Assert.Equal(new[] { 1 * (2 * 5 + 2.0), 2 * (2 * 5 + 2.0), 2 * (2 * 5 + 2.0), 2 * 2 * (2 * 5 + 2.0) }, plan.Runs.Select(r => r.EstimatedCost));
        Assert.Equal(new[] { "a-ecq-2bit-lambda0.1", "a-ecqx-2bit-lambda0.1", "b-ecq-2bit-lambda0.1", "b-ecqx-2bit-lambda0.1" }, plan.Runs.Select(r => r.Name));
    }
}
