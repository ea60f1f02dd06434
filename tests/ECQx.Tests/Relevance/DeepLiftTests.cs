using ECQx.Models;
using ECQx.Relevance;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

public class DeepLiftTests
{
    [Fact]
    public void ContributionsSumToTheOutputDifferenceWithBiasesAndBatchNorm()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var net = TinyNets.BiasedBnMlp(5);
        var x = TinyNets.Randn(6, 7, 6);
        var reference = TinyNets.Randn(7, 6).mul(0.5);
        var targets = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0 });
        using var dl = new DeepLiftRelevance(DeepLiftReference.Of(reference)).Attribute(net, x, targets, withInputRelevance: true);
        var z = net.forward(x).gather(1, targets.view(-1, 1)).view(-1);
        var z0 = net.forward(reference.view(1, 6).expand(7, 6)).gather(1, targets.view(-1, 1)).view(-1);
        var delta = z.sub(z0).div(7);
        Assert.True(allclose(dl.Input!.sum(1), delta, rtol: 1e-9, atol: 1e-12), "summation-to-delta per sample");
        double total = delta.sum().item<double>();
        // Weight contributions (per connection) of each layer of this chain network also sum to the total Δ.
        foreach (var name in new[] { "fc1.weight", "bn1.weight", "fc2.weight", "fc3.weight" })
            Assert.Equal(total, dl[name].sum().item<double>(), 9);
        Assert.DoesNotContain("fc1.bias", dl.Attributed);
    }

    [Fact]
    public void ResNet20InputContributionsSumToDelta()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var model = new ResNet20();
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.to(ScalarType.Float64);
        model.eval();
        var x = TinyNets.Randn(9, 3, 3, 32, 32);
        var targets = tensor(new long[] { 3, 0, 9 });
        using var dl = new DeepLiftRelevance(DeepLiftReference.BatchMean).Attribute(model, x, targets, withInputRelevance: true);
        var x0 = x.mean(new long[] { 0 }, keepdim: true).expand_as(x);
        var delta = model.forward(x).gather(1, targets.view(-1, 1)).view(-1).sub(model.forward(x0).gather(1, targets.view(-1, 1)).view(-1)).div(3);
        Assert.True(allclose(dl.Input!.flatten(1).sum(1), delta, rtol: 1e-8, atol: 1e-10));
        Assert.Equal("deeplift:mean", dl.Method);
    }

    [Fact]
    public void ReferenceShapeMustFit()
    {
        TorchRuntime.EnsureLoaded();
        var net = TinyNets.BiasFreeMlp(1);
        var e = Assert.Throws<ArgumentException>(() =>
            new DeepLiftRelevance(DeepLiftReference.Of(zeros(5, dtype: ScalarType.Float64))).Attribute(net, TinyNets.Randn(1, 2, 6), tensor(new long[] { 0, 1 })));
        Assert.Contains("[5]", e.Message);
    }
}
