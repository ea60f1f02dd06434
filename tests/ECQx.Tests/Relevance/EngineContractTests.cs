using ECQx.Models;
using ECQx.Relevance;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>What every method promises: the model is untouched, bad input is a clear error, the registry works.</summary>
public class EngineContractTests
{
    public static IEnumerable<object[]> Methods() =>
        new[] { "lrp", "lrp:alpha2_beta1_flat", "deeplift", "gradxweight", "magnitude", "random:3" }.Select(m => new object[] { m });

    [Theory]
    [MemberData(nameof(Methods))]
    public void ModelWeightsGradientsAndModeAreUntouched(string method)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var model = new ResNet20();
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.train();
        var x = TinyNets.Randn(51, 2, 3, 32, 32).to_type(ScalarType.Float32);
        var t = tensor(new long[] { 4, 6 });
        // populate .grad with a real backward (train mode also moves the BN statistics once, before the snapshot)
        nn.functional.cross_entropy(model.forward(x), t).backward();
        var state = StateDictLoader.Targets(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());

        using (var rel = RelevanceMethods.Create(method).Attribute(model, x, t, withInputRelevance: true))
            Assert.Equal(x.shape, rel.Input!.shape);

        Assert.True(model.training);
        Assert.All(model.named_modules(), m => Assert.True(m.module.training, m.name));
        foreach (var (k, v) in StateDictLoader.Targets(model)) Assert.True(TensorAssert.Same(state[k], v), $"{method} changed {k}");
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.requires_grad, name);
            Assert.True(TensorAssert.Same(grads[name], p.grad!), $"{method} changed the gradient of {name}");
        }
    }

    [Fact]
    public void UnsupportedLayerIsAClearError()
    {
        TorchRuntime.EnsureLoaded();
        var net = nn.Sequential(("fc", nn.Linear(4, 3)), ("act", nn.Tanh()), ("out", nn.Linear(3, 2)));
        var e = Assert.Throws<NotSupportedException>(() => new LrpRelevance().Attribute(net, randn(2, 4), tensor(new long[] { 0, 1 })));
        Assert.Contains("'act'", e.Message);
        Assert.Contains("Tanh", e.Message);
        Assert.Throws<NotSupportedException>(() => new DeepLiftRelevance().Attribute(net, randn(2, 4), tensor(new long[] { 0, 1 })));
    }

    [Fact]
    public void BadTargetsAndInputsAreClearErrors()
    {
        TorchRuntime.EnsureLoaded();
        var net = TinyNets.BiasFreeMlp(1);
        var lrp = new LrpRelevance();
        var e1 = Assert.Throws<ArgumentException>(() => lrp.Attribute(net, TinyNets.Randn(1, 2, 6), tensor(new long[] { 0, 3 })));
        Assert.Contains("3", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => lrp.Attribute(net, TinyNets.Randn(1, 2, 6), tensor(new long[] { 0 })));
        Assert.Contains("one class index per sample", e2.Message);
        var bad = TinyNets.Randn(1, 2, 6);
        bad[0, 0] = double.NaN;
        var e3 = Assert.Throws<ArgumentException>(() => lrp.Attribute(net, bad, tensor(new long[] { 0, 1 })));
        Assert.Contains("NaN", e3.Message);
    }

    [Fact]
    public void NonFiniteWeightsAreAClearError()
    {
        TorchRuntime.EnsureLoaded();
        var net = TinyNets.BiasFreeMlp(2);
        using (no_grad()) net.named_parameters().First().parameter[0, 0] = double.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => new LrpRelevance().Attribute(net, TinyNets.Randn(1, 2, 6), tensor(new long[] { 0, 1 })));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void RegistryCreatesEveryNamedMethodAndRejectsUnknownOnes()
    {
        foreach (var name in RelevanceMethods.Names)
            Assert.NotNull(RelevanceMethods.Create(name));
        Assert.Equal("lrp:epsilon_plus_flat_bn_pass", RelevanceMethods.Create("lrp").Name);
        Assert.Equal("lrp:alpha2_beta1_flat", RelevanceMethods.Create("lrp:alpha2_beta1_flat").Name);
        Assert.Equal("deeplift:mean", RelevanceMethods.Create("deeplift:mean").Name);
        var e = Assert.Throws<ArgumentException>(() => RelevanceMethods.Create("lrp:nonsense"));
        Assert.Contains("epsilon_plus_flat", e.Message);
        Assert.Throws<ArgumentException>(() => RelevanceMethods.Create("shap"));
        Assert.Throws<ArgumentException>(() => RelevanceMethods.Create("random:abc"));
        Assert.Throws<ArgumentException>(() => RelevanceMethods.Create("magnitude:1"));
    }

    [Fact]
    public void FirstLayerGetsTheFlatRuleAndOnlyTheInputRelevanceChanges()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var net = TinyNets.BiasFreeConvNet(61);
        var x = TinyNets.Randn(62, 2, 2, 6, 6);
        var t = tensor(new long[] { 0, 2 });
        using var flat = RelevanceMethods.Create("lrp:epsilon_plus_flat_bn_pass").Attribute(net, x, t, true);
        using var noFlat = new LrpRelevance(new LrpComposite("noflat", new ZPlusRule(), new EpsilonRule(), PassRule.Instance, null)).Attribute(net, x, t, true);
        foreach (var name in flat.Attributed) Assert.True(allclose(flat[name], noFlat[name], rtol: 1e-12, atol: 1e-15), name);
        Assert.False(allclose(flat.Input!, noFlat.Input!));
        // Flat spreads the relevance at conv1's output uniformly over each receptive field, so it conserves it; that
        // relevance also equals Σ R_W(conv1) for a bias-free layer under the ε weight rule.
        Assert.Equal(flat["conv1.weight"].sum().item<double>(), flat.Input!.sum().item<double>(), 6);
    }
}
