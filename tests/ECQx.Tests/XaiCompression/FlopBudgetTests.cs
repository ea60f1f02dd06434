using ECQx.Models;
using ECQx.XaiCompression;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

/// <summary>Filter pruning at matched FLOPs: the FLOP count of a pruned model, and plans that spend equal FLOPs within one filter.</summary>
public class FlopBudgetTests
{
    public FlopBudgetTests() => TorchRuntime.EnsureLoaded();

    private static readonly long[] CnnInput = { 1, 8, 8 };

    // Cnn on 1×8×8: conv1 1→6 3×3 and conv2 6→8 3×3 (padding 1) at 8·8 = 64 positions, pool to 4×4, fc1 128→12, fc2 12→4.
    // MACs: conv1 6·1·9·64 = 3,456; conv2 8·6·9·64 = 27,648; fc1 12·128 = 1,536; fc2 4·12 = 48; total 32,688.

    [Fact]
    public void FlopCountOfTwoConvNetMatchesHandCounts()
    {
        var model = XaiCompressionFixtures.Cnn(1);
        var counter = new PrunedFlopCount(model, ChannelGroups.Find(model), CnnInput);
        Assert.Equal(32_688, counter.MultiplyAccumulates(new long[] { 6, 8, 12 }));
        Assert.Equal(65_376, counter.Unpruned);
        // a conv1 filter: its output channel 9·64 = 576, and conv2's input channel 8·9·64 = 4,608
        Assert.Equal(32_688 - 576 - 4_608, counter.MultiplyAccumulates(new long[] { 5, 8, 12 }));
        // a conv2 filter: 6·9·64 = 3,456, and fc1's 16 input features of that channel, 12·16 = 192
        Assert.Equal(32_688 - 3_456 - 192, counter.MultiplyAccumulates(new long[] { 6, 7, 12 }));
        // an fc1 neuron: its row of 128, and fc2's column of 4
        Assert.Equal(32_688 - 128 - 4, counter.MultiplyAccumulates(new long[] { 6, 8, 11 }));
        // both: conv1 3·9·64 + conv2 5·3·9·64 + fc1 6·80 + fc2 4·6
        Assert.Equal(1_728 + 8_640 + 480 + 24, counter.MultiplyAccumulates(new long[] { 3, 5, 6 }));
        Assert.Equal(2 * 5_184, counter.LargestUnitFlops); // a conv1 filter
        Assert.Throws<ArgumentOutOfRangeException>(() => counter.Flops(new long[] { 7, 8, 12 }));
        Assert.Throws<ArgumentException>(() => counter.Flops(new long[] { 6, 8 }));
    }

    [Fact]
    public void FlopTargetPrunesFiltersInScoreOrderUntilTheFlopsAreNotAbove()
    {
        var model = XaiCompressionFixtures.Cnn(1);
        var scores = Ones(model);
        scores["conv2.weight"][0].fill_(0);
        scores["fc1.weight"][0].fill_(1e-3);
        // order: conv2 filter 0 (score 0), fc1 neuron 0 (0.128), then conv1's filters (9 each). Target 50,000 FLOPs = 25,000 MACs:
        // conv2 filter 0 leaves 32,688 − 3,648 = 29,040; fc1 neuron 0 (now 7·16 + 4 = 116) leaves 28,924; conv1 filter 0
        // (9·64 + 7·9·64 = 4,608) leaves 24,316 ≤ 25,000 = conv1 5·9·64 + conv2 7·5·9·64 + fc1 11·112 + fc2 4·11.
        var plan = StructuredPruning.PlanForFlops(model, scores, CnnInput, 50_000);
        Assert.Equal(new long[] { 5, 7, 11 }, plan.Keep.Select(k => k.numel()));
        Assert.DoesNotContain(0L, plan.Keep[0].data<long>().ToArray());
        Assert.DoesNotContain(0L, plan.Keep[1].data<long>().ToArray());
        Assert.DoesNotContain(0L, plan.Keep[2].data<long>().ToArray());
        Assert.Equal(24_316, ModelCosts.Measure(StructuredPruning.Shrink(model, plan), CnnInput).MultiplyAccumulates);
        // a target below what pruning everything reaches is an error naming the target
        var e = Assert.Throws<ArgumentException>(() => StructuredPruning.PlanForFlops(model, scores, CnnInput, 100));
        Assert.Contains("100 FLOPs", e.Message);
    }

    [Fact]
    public void AFlopTargetRanksFiltersByScorePerFlopSoCheapNeuronsAreNotStrippedFirst()
    {
        var model = XaiCompressionFixtures.Cnn(1);
        var scores = Ones(model);
        scores["fc1.weight"].fill_(0.05);
        // unit scores: conv1 9, conv2 54, fc1 128·0.05 = 6.4; one unit saves (MACs) conv1 5,184, conv2 3,648, fc1 132.
        var counter = new PrunedFlopCount(model, ChannelGroups.Find(model), CnnInput);
        Assert.Equal(new long[] { 2 * 5_184, 2 * 3_648, 2 * 132 }, counter.UnitFlops);
        // By score alone fc1's neurons (6.4) go first and save only 11·132 MACs; per FLOP they are worth 6.4/132 ≈ 0.048,
        // conv1's filters 9/5,184 ≈ 0.0017, so conv1 goes first: two filters (5,184 MACs each, the second now also 5,184:
        // 9·64 + 8·9·64) take 32,688 to 22,320 ≤ 25,000 and fc1 stays whole.
        var plan = StructuredPruning.PlanForFlops(model, scores, CnnInput, 50_000);
        Assert.Equal(new long[] { 4, 8, 12 }, plan.Keep.Select(k => k.numel()));
        Assert.Equal(22_320, ModelCosts.Measure(StructuredPruning.Shrink(model, plan), CnnInput).MultiplyAccumulates);
        // the plan keeps the raw unit scores (what the tables show), not the per-FLOP ranking keys
        Assert.Equal(128 * (double)0.05f, plan.UnitScores[2][0].item<double>(), 9);
    }

    [Theory]
    [InlineData("cnn", 0.3)]
    [InlineData("lenet5", 0.6)]
    [InlineData("resnet20", 0.5)]
    public void FlopModelEqualsTheShrunkModelsMeasuredFlops(string which, double ratio)
    {
        var model = which == "cnn" ? XaiCompressionFixtures.Cnn(2) : ModelZoo.Create(which, seed: 2);
        var shape = InputOf(which);
        using var gen = new Generator(5);
        var scores = Weights(model).ToDictionary(kv => kv.Key, kv => rand(kv.Value.shape, generator: gen));
        var plan = StructuredPruning.Plan(model, scores, ratio, PruningScope.Global);
        var counter = new PrunedFlopCount(model, plan.Groups, shape);
        Assert.Equal(ModelCosts.Measure(model, shape).Flops, counter.Unpruned);
        Assert.Equal(ModelCosts.Measure(StructuredPruning.Shrink(model, plan), shape).Flops, counter.Flops(plan.Keep.Select(k => k.numel()).ToArray()));
    }

    [Theory]
    [InlineData("lenet5", 0.5)]
    [InlineData("resnet20", 0.7)]
    public void TwoMethodsAtOneFlopTargetSpendEqualFlopsWithinOneFilter(string which, double keepFraction)
    {
        var model = ModelZoo.Create(which, seed: 3);
        var shape = InputOf(which);
        long target = (long)(keepFraction * ModelCosts.Measure(model, shape).Flops);
        var magnitude = Weights(model).ToDictionary(kv => kv.Key, kv => kv.Value.abs());
        using var gen = new Generator(9);
        var random = magnitude.ToDictionary(kv => kv.Key, kv => rand(kv.Value.shape, generator: gen));
        long oneFilter = new PrunedFlopCount(model, ChannelGroups.Find(model), shape).LargestUnitFlops;
        var spent = new List<long>();
        foreach (var s in new[] { magnitude, random })
        {
            long flops = ModelCosts.Measure(StructuredPruning.Shrink(model, StructuredPruning.PlanForFlops(model, s, shape, target)), shape).Flops;
            Assert.InRange(flops, target - oneFilter + 1, target);
            spent.Add(flops);
        }
        Assert.True(Math.Abs(spent[0] - spent[1]) < oneFilter, $"{spent[0]} vs {spent[1]}, one filter {oneFilter}");
    }

    [Property(MaxTest = 25)]
    public bool AnyReachableTargetIsMetWithinOneFiltersFlops(int seed)
    {
        var rng = new Random(seed);
        var model = XaiCompressionFixtures.Cnn(7);
        var counter = new PrunedFlopCount(model, ChannelGroups.Find(model), CnnInput);
        long lowest = counter.Flops(new long[] { 1, 1, 1 });
        long target = lowest + (long)(rng.NextDouble() * (counter.Unpruned - lowest));
        using var gen = new Generator((ulong)(seed & int.MaxValue));
        var scores = Weights(model).ToDictionary(kv => kv.Key, kv => rand(kv.Value.shape, generator: gen));
        var plan = StructuredPruning.PlanForFlops(model, scores, CnnInput, target);
        long spent = counter.Flops(plan.Keep.Select(k => k.numel()).ToArray());
        return spent <= target && spent > target - counter.LargestUnitFlops;
    }

    [Fact]
    public void PruningRunAtAFlopTargetReportsTheFlopsSpent()
    {
        var data = XaiCompressionFixtures.Blobs(shape: CnnInput, features: 64);
        foreach (var method in new[] { "magnitude", "gradxweight" })
        {
            var r = Pruning.Run(XaiCompressionFixtures.Cnn(4), data, new PruningOptions
                { RemainingFlops = 40_000, Structure = PruningStructure.Filter, Calibration = new CalibrationOptions { Method = method, Batches = 1 } });
            Assert.Equal(40_000, r.TargetFlops);
            Assert.Null(r.TargetParameters);
            Assert.Equal(r.CostAfter!.Flops, r.RemainingFlops);
            Assert.InRange(r.RemainingFlops, 40_000 - 2 * 5_184 + 1, 40_000);
            Assert.Equal(65_376, r.CostBefore!.Flops);
        }
        Assert.Throws<ArgumentException>(() => new PruningOptions { RemainingFlops = 100, Structure = PruningStructure.Weight }.Validate());
        Assert.Throws<ArgumentException>(() => new PruningOptions { RemainingFlops = 100, Structure = PruningStructure.Filter, Scope = PruningScope.Layer }.Validate());
        Assert.Throws<ArgumentException>(() => new PruningOptions { RemainingFlops = 100, RemainingParameters = 100, Structure = PruningStructure.Filter }.Validate());
        Assert.Throws<ArgumentException>(() => new PruningOptions { RemainingFlops = 0, Structure = PruningStructure.Filter }.Validate());
    }

    private static long[] InputOf(string which) => which switch
    {
        "cnn" => CnnInput,
        "lenet5" => new long[] { 1, 28, 28 },
        _ => new long[] { 3, 32, 32 },
    };

    private static Dictionary<string, Tensor> Weights(nn.Module model) =>
        model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.ndim >= 2).ToDictionary(p => p.name, p => p.parameter.detach());

    private static Dictionary<string, Tensor> Ones(nn.Module model) => Weights(model).ToDictionary(kv => kv.Key, kv => ones_like(kv.Value));
}
