using ECQx.Models;
using ECQx.Training;
using ECQx.XaiCompression;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

/// <summary>Comparisons at matched budgets: equal remaining parameters (pruning), equal average bits (mixed precision).</summary>
public class MatchedBudgetTests
{
    public MatchedBudgetTests() => TorchRuntime.EnsureLoaded();

    // ---- mixed precision: the uniform baseline spends what the relevance-guided allocation spends ----

    [Fact]
    public void UniformAtAFractionalBudgetSpendsTheSameBitsAsARelevanceGuidedAllocation()
    {
        // n = 10, 30 at 4.7 bits: budget ⌊188⌋; attainable totals are multiples of 10, the largest ≤ 188 is 180, reached by
        // (3, 5) and (6, 4). Equal relevance per weight values 10(1 − 4⁻⁶) + 30(1 − 4⁻⁴) = 39.880 above 10(1 − 4⁻³) + 30(1 − 4⁻⁵) = 39.815.
        var layers = new[] { new LayerBitInput("a", 10, 1), new LayerBitInput("b", 30, 0) };
        var u = BitAllocation.Uniform(layers, 4.7);
        Assert.Equal(new[] { 6, 4 }, u.Bits);
        Assert.Equal(180, u.TotalBits);
        Assert.Equal(188, u.BudgetBits);
        Assert.Equal(180, BitAllocation.Allocate(layers, 4.7).TotalBits);
        // an integer budget gives every layer that many bits
        Assert.Equal(new[] { 4, 4 }, BitAllocation.Uniform(layers, 4).Bits);
    }

    [Fact]
    public void LeNet5LayersAtTwoAndAHalfBitsSpendTheSameAverageWhateverTheRelevance()
    {
        // LeNet5's weights: conv1 150, conv2 2,400, fc1 48,000, fc2 10,080, fc3 840; N = 61,470, budget ⌊2.5·N⌋ = 153,675 bits.
        // gcd of the sizes is 30, so the most any allocation spends is 153,660 bits = 2.49976 bits per weight.
        long[] n = { 150, 2400, 48000, 10080, 840 };
        var relevance = new[] { 5.0, 1.0, 0.3, 2.0, 9.0 };
        var layers = n.Select((c, i) => new LayerBitInput($"l{i}", c, relevance[i])).ToList();
        var guided = BitAllocation.Allocate(layers, 2.5);
        var uniform = BitAllocation.Uniform(layers, 2.5);
        Assert.Equal(153_660, guided.TotalBits);
        Assert.Equal(153_660, uniform.TotalBits);
        Assert.Equal(153_660.0 / 61_470, uniform.AverageBits(layers), 12);
        Assert.Equal(48_000.0 / 61_470, BitAllocation.LayerStep(layers), 12);
        // and only one allocation spends it: 2 bits everywhere plus 3·2,400 + 2·10,080 + 4·840 = 30,720 extra bits (fc1's
        // 48,000 weights cannot take one more bit), so at this budget the relevance has no say
        Assert.Equal(new[] { 2, 5, 2, 4, 6 }, guided.Bits);
        Assert.Equal(guided.Bits, uniform.Bits);
        // at an integer budget the uniform baseline is 4 bits everywhere, and the guided allocation spends the same 4·N
        var g4 = BitAllocation.Allocate(layers, 4);
        Assert.Equal(new[] { 4, 4, 4, 4, 4 }, BitAllocation.Uniform(layers, 4).Bits);
        Assert.Equal(4 * 61_470, g4.TotalBits);
    }

    [Property(MaxTest = 60)]
    public bool EveryAllocationSpendsTheSameBitsWithinOneLayerStepBelowTheBudget(int seed)
    {
        var rng = new Random(seed);
        int count = rng.Next(1, 7);
        var layers = Enumerable.Range(0, count).Select(i => new LayerBitInput($"l{i}", rng.Next(1, 400), rng.NextDouble() * 3)).ToList();
        double budget = 2 + rng.NextDouble() * 6; // in [2, 8]: at most the largest bit width
        var guided = BitAllocation.Allocate(layers, budget);
        var uniform = BitAllocation.Uniform(layers, budget);
        long largest = layers.Max(l => l.Count);
        return guided.TotalBits == uniform.TotalBits && guided.TotalBits <= guided.BudgetBits
            && guided.BudgetBits - guided.TotalBits < largest && guided.Exact && uniform.Exact;
    }

    // ---- pruning: equal remaining parameters ----

    [Fact]
    public void ParameterTargetPrunesFiltersInScoreOrderUntilTheCountIsNotAbove()
    {
        // Cnn: conv1 1→6 3×3 (60), bn1 (12), conv2 6→8 3×3 (440), bn2 (16), fc1 128→12 (1,548), fc2 12→4 (52): 2,128.
        var model = XaiCompressionFixtures.Cnn(1);
        Assert.Equal(2128, ModelEvaluation.ParameterCount(model));
        Assert.Equal(249, new PrunedParameterCount(model, ChannelGroups.Find(model)).LargestUnitCost); // a conv2 filter
        // order: conv2 filter 0 (score 0), fc1 neuron 0 (0.128), then conv1's filters (9 each), …
        var scores = Scores(model);
        scores["conv2.weight"][0].fill_(0);
        scores["fc1.weight"][0].fill_(1e-3);
        // target 1,828: pruning conv2 filter 0 removes 54 + 1 + 2 + 12·16 = 249 (1,879 left, still above); fc1 neuron 0 then
        // removes 7·16 + 1 + 4 = 117 → 1,762 = conv1 60 + bn1 12 + conv2 7·6·9 + 7 + bn2 14 + fc1 11·112 + 11 + fc2 4·11 + 4.
        var plan = StructuredPruning.PlanForParameters(model, scores, 1828);
        Assert.Equal(new long[] { 6, 7, 11 }, plan.Keep.Select(k => k.numel()));
        Assert.DoesNotContain(0L, plan.Keep[1].data<long>().ToArray());
        Assert.DoesNotContain(0L, plan.Keep[2].data<long>().ToArray());
        Assert.Equal(1762, ModelEvaluation.ParameterCount(StructuredPruning.Shrink(model, plan)));
        // a target below what pruning everything reaches is an error naming both counts
        var e = Assert.Throws<ArgumentException>(() => StructuredPruning.PlanForParameters(model, scores, 10));
        Assert.Contains("10", e.Message);
    }

    [Theory]
    [InlineData("cnn", 0.3)]
    [InlineData("lenet5", 0.6)]
    [InlineData("resnet20", 0.5)]
    public void CountModelEqualsTheShrunkModelsParameterCount(string which, double ratio)
    {
        var model = which == "cnn" ? XaiCompressionFixtures.Cnn(2) : ModelZoo.Create(which, seed: 2);
        using var gen = new Generator(5);
        var scores = model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.ndim >= 2)
            .ToDictionary(p => p.name, p => rand(p.parameter.shape, generator: gen));
        var plan = StructuredPruning.Plan(model, scores, ratio, PruningScope.Global);
        var counter = new PrunedParameterCount(model, plan.Groups);
        Assert.Equal(ModelEvaluation.ParameterCount(model), counter.Unpruned);
        Assert.Equal(ModelEvaluation.ParameterCount(StructuredPruning.Shrink(model, plan)), counter.Count(plan.Keep.Select(k => k.numel()).ToArray()));
    }

    [Theory]
    [InlineData("lenet5", 0.5)]
    [InlineData("resnet20", 0.8)]
    public void TwoMethodsAtOneParameterTargetKeepEqualCountsWithinOneFilter(string which, double keepFraction)
    {
        var model = ModelZoo.Create(which, seed: 3);
        long target = (long)(keepFraction * ModelEvaluation.ParameterCount(model));
        var magnitude = model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.ndim >= 2)
            .ToDictionary(p => p.name, p => p.parameter.detach().abs());
        using var gen = new Generator(9);
        var random = magnitude.ToDictionary(kv => kv.Key, kv => rand(kv.Value.shape, generator: gen));
        var groups = ChannelGroups.Find(model);
        var counter = new PrunedParameterCount(model, groups);
        long oneFilter = counter.LargestUnitCost;
        var counts = new List<long>();
        foreach (var s in new[] { magnitude, random })
        {
            var plan = StructuredPruning.PlanForParameters(model, s, target);
            long remaining = ModelEvaluation.ParameterCount(StructuredPruning.Shrink(model, plan));
            Assert.InRange(remaining, target - oneFilter + 1, target);
            counts.Add(remaining);
        }
        Assert.True(Math.Abs(counts[0] - counts[1]) < oneFilter, $"{counts[0]} vs {counts[1]}, one filter {oneFilter}");
    }

    [Fact]
    public void PruningRunAtAParameterTargetReportsTheBudgetSpentAndTheFlops()
    {
        var data = XaiCompressionFixtures.Blobs(shape: new long[] { 1, 8, 8 }, features: 64);
        var results = new List<PruningResult>();
        foreach (var (structure, method) in new[] { (PruningStructure.Weight, "magnitude"), (PruningStructure.Weight, "gradxweight"), (PruningStructure.Filter, "magnitude"), (PruningStructure.Filter, "gradxweight") })
        {
            var r = Pruning.Run(XaiCompressionFixtures.Cnn(4), data, new PruningOptions
                { RemainingParameters = 1500, Structure = structure, Calibration = new CalibrationOptions { Method = method, Batches = 1 } });
            Assert.Equal(1500, r.TargetParameters);
            if (structure == PruningStructure.Weight) Assert.Equal(1500, r.RemainingParameters);
            else Assert.InRange(r.RemainingParameters, 1500 - 249 + 1, 1500);
            Assert.Equal(2128, r.CostBefore!.Parameters);
            Assert.Equal(54 * 64 + 432 * 64 + 1536 + 48, r.CostBefore.MultiplyAccumulates);
            Assert.True(r.CostAfter!.MultiplyAccumulates < r.CostBefore.MultiplyAccumulates);
            results.Add(r);
        }
        Assert.Throws<ArgumentException>(() => new PruningOptions { RemainingParameters = 100, Scope = PruningScope.Layer }.Validate());
    }

    [Fact]
    public void CostCountsEachNonZeroWeightOncePerOutputPosition()
    {
        // Cnn on 1×8×8 (padding 1 keeps 8×8 for both convs, the pool halves it before fc1): 54·64 + 432·64 + 1536 + 48
        var model = XaiCompressionFixtures.Cnn(5);
        var cost = ModelCosts.Measure(model, new long[] { 1, 8, 8 });
        Assert.Equal(32_688, cost.MultiplyAccumulates);
        Assert.Equal(65_376, cost.Flops);
        using (no_grad()) ((TorchSharp.Modules.Conv2d)model.named_modules().First(m => m.name == "conv2").module).weight![0].zero_();
        Assert.Equal(32_688 - 54 * 64, ModelCosts.Measure(model, new long[] { 1, 8, 8 }).MultiplyAccumulates);
        // LeNet5 on 1×28×28: conv1 (padding 2) 150·28², conv2 2,400·10², fc 48,000 + 10,080 + 840
        var lenet = ModelZoo.Create("lenet5", seed: 1);
        Assert.Equal(150L * 784 + 2400L * 100 + 48_000 + 10_080 + 840, ModelCosts.Measure(lenet, new long[] { 1, 28, 28 }).MultiplyAccumulates);
    }

    [Property(MaxTest = 30)]
    public bool GlobalOrderPrefixIsWhatLowestScoredCountPrunes(int seed)
    {
        var rng = new Random(seed);
        // few distinct values provoke ties, which both must break by position
        var scores = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => tensor(Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (double)rng.Next(0, 4)).ToArray())).ToList();
        var (layer, index) = UnitSelection.GlobalOrder(scores, minKeepPerLayer: 1);
        long k = rng.Next(0, layer.Length + 1);
        var masks = UnitSelection.LowestScoredCount(scores, k, minKeepPerLayer: 1);
        var expected = scores.Select(sc => new bool[sc.numel()]).ToArray();
        for (int r = 0; r < k; r++) expected[layer[r]][index[r]] = true;
        return masks.Select((m, i) => m.data<bool>().ToArray().SequenceEqual(expected[i])).All(x => x)
            && layer.Length == scores.Sum(sc => sc.numel() - 1);
    }

    [Fact]
    public void CompressibleLayersOfResNet20AreInForwardOrder()
    {
        var names = CompressibleLayers.Of(ModelZoo.Create("resnet20", seed: 1)).Select(l => l.ModuleName).ToList();
        Assert.Equal(20, names.Count);
        Assert.Equal("conv1", names[0]);
        Assert.Equal(new[] { "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1" }, names.Skip(1).Take(3));
        Assert.Equal("layer3.2.conv2", names[^2]);
        Assert.Equal("linear", names[^1]);
    }

    private static Dictionary<string, Tensor> Scores(nn.Module model) =>
        model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.ndim >= 2).ToDictionary(p => p.name, p => ones_like(p.parameter).detach());
}
