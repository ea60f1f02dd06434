using ECQx.Training;
using ECQx.XaiCompression;
using ECQx.IO;
using ECQx.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

public class StructuredPruningTests
{
    [Fact]
    public void FindsConvToConvConvToFlattenedLinearAndLinearToLinearGroups()
    {
        var model = XaiCompressionFixtures.Cnn(1);
        var groups = ChannelGroups.Find(model);
        Assert.Equal(new[] { "conv1", "conv2", "fc1" }, groups.Select(g => g.ProducerName));
        Assert.Equal(new[] { "conv2", "fc1", "fc2" }, groups.Select(g => g.ConsumerName));
        Assert.Equal(new long[] { 1, 16, 1 }, groups.Select(g => g.FeaturesPerChannel));
        Assert.Equal(new[] { "bn1" }, groups[0].Norms.Select(n => n.Name));
    }

    [Fact]
    public void ResNet20PrunesOnlyTheInnerConvOfEachBlock()
    {
        using var model = ModelZoo.Create("resnet20", seed: 1);
        var groups = ChannelGroups.Find(model);
        Assert.Equal(9, groups.Count);
        Assert.All(groups, g => Assert.EndsWith(".conv1", g.ProducerName));
        Assert.All(groups, g => Assert.Equal(g.ProducerName.Replace("conv1", "conv2"), g.ConsumerName));
        Assert.All(groups, g => Assert.Equal(g.ProducerName.Replace("conv1", "bn1"), Assert.Single(g.Norms).Name));
    }

    [Theory]
    [InlineData("cnn", PruningScope.Global)]
    [InlineData("cnn", PruningScope.Layer)]
    [InlineData("lenet5", PruningScope.Global)]
    [InlineData("resnet20", PruningScope.Layer)]
    public void ShrunkModelComputesTheMaskedModelOutputs(string which, PruningScope scope)
    {
        TorchRuntime.EnsureLoaded();
        var model = which == "cnn" ? XaiCompressionFixtures.Cnn(2) : ModelZoo.Create(which, seed: 2);
        XaiCompressionFixtures.RandomizeNorms(model, 5);
        model.eval();
        long[] sample = which switch { "cnn" => new long[] { 1, 8, 8 }, "lenet5" => new long[] { 1, 28, 28 }, _ => new long[] { 3, 32, 32 } };
        using var gen = new Generator(11);
        var x = randn(new[] { 4L }.Concat(sample).ToArray(), generator: gen);
        var scores = model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.ndim >= 2)
            .ToDictionary(p => p.name, p => p.parameter.detach().abs());
        var plan = StructuredPruning.Plan(model, scores, 0.5, scope);
        Assert.True(plan.PrunedUnits > 0);
        var shrunk = StructuredPruning.Shrink(model, plan);
        shrunk.eval();
        Assert.True(ModelEvaluation.ParameterCount(shrunk) < ModelEvaluation.ParameterCount(model));
        // the unpruned, unmasked model is different from the masked one (so the check below is not vacuous)
        using var noGrad = no_grad();
        var full = model.call(x);
        StructuredPruning.ApplyMask(plan);
        var masked = model.call(x);
        var small = shrunk.call(x);
        Assert.True(TensorAssert.MaxAbsDiff(full, masked) > 1e-4);
        Assert.True(TensorAssert.MaxAbsDiff(masked, small) < 1e-4 * (1 + masked.abs().max().item<float>()), $"max diff {TensorAssert.MaxAbsDiff(masked, small)}");
        // pruned units are the lowest-scored: per group, every removed unit scores ≤ every kept unit (per layer scope)
        if (scope == PruningScope.Layer)
            for (int i = 0; i < plan.Groups.Count; i++)
            {
                var s = plan.UnitScores[i].data<double>().ToArray();
                var keep = plan.Keep[i].data<long>().ToHashSet();
                var removed = Enumerable.Range(0, s.Length).Where(j => !keep.Contains(j)).ToArray();
                Assert.Equal((long)Math.Round(0.5 * s.Length, MidpointRounding.AwayFromZero), removed.Length);
                if (removed.Length > 0) Assert.True(removed.Max(j => s[j]) <= keep.Min(j => s[j]));
            }
    }

    [Fact]
    public void PrunedStateDictRoundTripsThroughSafetensorsAndShapeLike()
    {
        TorchRuntime.EnsureLoaded();
        var model = XaiCompressionFixtures.Cnn(3);
        XaiCompressionFixtures.RandomizeNorms(model, 4);
        var scores = model.named_parameters().Where(p => p.parameter.ndim >= 2).ToDictionary(p => p.name, p => p.parameter.detach().abs());
        var plan = StructuredPruning.Plan(model, scores, 0.4, PruningScope.Global);
        var shrunk = StructuredPruning.Shrink(model, plan);
        string path = Path.Combine(Path.GetTempPath(), $"ecqx-pruned-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, shrunk.state_dict());
            using var doc = SafeTensors.Load(path);
            var fresh = StructuredPruning.ShapeLike(XaiCompressionFixtures.Cnn(99), doc.Tensors);
            StateDictLoader.Load(fresh, doc.Tensors, path);
            shrunk.eval(); fresh.eval();
            using var gen = new Generator(5);
            var x = randn(new long[] { 3, 1, 8, 8 }, generator: gen);
            using var noGrad = no_grad();
            Assert.True(TensorAssert.Same(shrunk.call(x), fresh.call(x)));
        }
        finally { File.Delete(path); }
    }
}
