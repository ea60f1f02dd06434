using ECQx.Relevance;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>LRP-0 conserves relevance on bias-free ReLU networks, and LRP-0 = DeepLIFT(0) = gradient × input there.</summary>
public class ConservationTests
{
    private const double Tiny = 1e-12;

    private static LrpRelevance Lrp0(OutputRelevance output = OutputRelevance.Logit) =>
        new(new LrpComposite("lrp0", new EpsilonRule(Tiny), new EpsilonRule(Tiny), new EpsilonRule(Tiny), null,
                avgPool: new NormRule(Tiny), zeroPadShortcut: new NormRule(Tiny), residualSum: new NormRule(Tiny)),
            new EpsilonWeightRule(Tiny), new NoCanonizer(), output);

    public static IEnumerable<object[]> Nets() => new[] { new object[] { "mlp" }, new object[] { "conv" } };

    private static (nn.Module<Tensor, Tensor> Net, Tensor X) Build(string kind) => kind == "mlp"
        ? (TinyNets.BiasFreeMlp(1), TinyNets.Randn(2, 5, 6))
        : (TinyNets.BiasFreeConvNet(3), TinyNets.Randn(4, 5, 2, 6, 6));

    [Theory]
    [MemberData(nameof(Nets))]
    public void Lrp0ConservesTheStartRelevanceAtEveryLayer(string kind)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var (net, x) = Build(kind);
        var targets = tensor(new long[] { 0, 1, 2, 1, 0 });
        var logits = net.forward(x);
        double start = logits.gather(1, targets.view(-1, 1)).sum().item<double>() / 5; // Σ R_start
        using var rel = Lrp0().Attribute(net, x, targets, withInputRelevance: true);
        // Tolerance: relative 1e-9 (float64, ε = 1e-12).
        double tol = 1e-9 * Math.Abs(start);
        Assert.Equal(start, rel.Input!.sum().item<double>(), tol);
        // Bias-free: Σ_{o,i} W_oi Σ_n a_ni R_no / z_no = Σ R_out = Σ R_start for every layer.
        foreach (var (name, r) in rel.Parameters)
            Assert.True(Math.Abs(r.sum().item<double>() - start) <= tol, $"{name}: Σ R_W = {r.sum().item<double>()} vs start {start}");
        // Per sample too.
        var perSample = rel.Input.flatten(1).sum(1);
        var expected = logits.gather(1, targets.view(-1, 1)).view(-1).div(5);
        Assert.True(allclose(perSample, expected, rtol: 1e-9, atol: 1e-12));
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Lrp0EqualsDeepLiftWithZeroReferenceEqualsGradientTimesInput(string kind)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var (net, x) = Build(kind);
        var targets = tensor(new long[] { 2, 1, 0, 0, 1 });
        using var lrp = Lrp0().Attribute(net, x, targets, withInputRelevance: true);
        using var dl = new DeepLiftRelevance(DeepLiftReference.Zeros).Attribute(net, x, targets, withInputRelevance: true);
        using var gxw = GradientTimesWeight.Create().Attribute(net, x, targets, withInputRelevance: true);
        // independent truth: plain autograd on the model
        var (pg, xg) = TinyNets.Autograd(net, x, targets);
        var gradTimesInput = xg.mul(x);
        Assert.True(allclose(lrp.Input!, gradTimesInput, rtol: 1e-8, atol: 1e-12), "LRP-0 ≠ gradient × input");
        Assert.True(allclose(dl.Input!, gradTimesInput, rtol: 1e-10, atol: 1e-14), "DeepLIFT(0) ≠ gradient × input");
        Assert.True(allclose(gxw.Input!, gradTimesInput, rtol: 1e-10, atol: 1e-14), "engine gradient × input ≠ autograd");
        foreach (var (name, p) in net.named_parameters())
        {
            var truth = pg[name].mul(p.detach());
            Assert.True(allclose(gxw[name], truth, rtol: 1e-10, atol: 1e-14), $"gradxweight {name}");
            Assert.True(allclose(dl[name], truth, rtol: 1e-10, atol: 1e-14), $"deeplift {name}");
            Assert.True(allclose(lrp[name], truth, rtol: 1e-8, atol: 1e-12), $"lrp-0 {name}");
        }
    }
}
