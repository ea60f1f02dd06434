using ECQx.Models;
using ECQx.Relevance;
using ECQx.Relevance.Lrp;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

public class TwoLayerAndResidualTests
{
    public static IEnumerable<object[]> Rules() => RuleTests.Rules();

    /// <summary>Linear(3→4) → ReLU → Linear(4→2), both with bias, every rule through the engine vs the scalar reference.</summary>
    [Theory]
    [MemberData(nameof(Rules))]
    public void TwoLayerNetworkMatchesScalarReference(string rule)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var net = nn.Sequential(("fc1", nn.Linear(3, 4)), ("relu", nn.ReLU()), ("fc2", nn.Linear(4, 2)));
        net.to(ScalarType.Float64);
        var p = net.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        using (no_grad())
        {
            p["fc1.weight"].copy_(TinyNets.Randn(91, 4, 3)); p["fc1.bias"].copy_(TinyNets.Randn(92, 4).mul(0.3));
            p["fc2.weight"].copy_(TinyNets.Randn(93, 2, 4)); p["fc2.bias"].copy_(TinyNets.Randn(94, 2).mul(0.3));
        }
        BasicRule r = rule switch
        {
            "epsilon" => new EpsilonRule(), "zplus" => new ZPlusRule(), "alphabeta" => new AlphaBetaRule(2, 1),
            "gamma" => new GammaRule(0.25), "flat" => new FlatRule(), _ => new WSquareRule(),
        };
        var method = new LrpRelevance(new LrpComposite(rule, r, r, null, null), new EpsilonWeightRule(), new NoCanonizer());
        var x = TinyNets.Randn(95, 3, 3);
        var targets = tensor(new long[] { 0, 1, 1 });
        using var rel = method.Attribute(net, x, targets, withInputRelevance: true);

        double[,] w1 = RuleTests.To2D(p["fc1.weight"].detach()), w2 = RuleTests.To2D(p["fc2.weight"].detach());
        double[] b1 = p["fc1.bias"].detach().data<double>().ToArray(), b2 = p["fc2.bias"].detach().data<double>().ToArray();
        var xs = RuleTests.To2D(x);
        for (int n = 0; n < 3; n++)
        {
            var xn = RuleTests.Row(xs, n);
            var h = new double[4];
            for (int o = 0; o < 4; o++) { h[o] = b1[o]; for (int i = 0; i < 3; i++) h[o] += w1[o, i] * xn[i]; h[o] = Math.Max(0, h[o]); }
            var z = new double[2];
            for (int o = 0; o < 2; o++) { z[o] = b2[o]; for (int i = 0; i < 4; i++) z[o] += w2[o, i] * h[i]; }
            int y = (int)targets[n].item<long>();
            var rOut = new double[2];
            rOut[y] = z[y] / 3;
            var rH = ScalarLrp.Rule(rule, h, w2, b2, rOut, 1e-6);      // ReLU module: Pass
            var rX = ScalarLrp.Rule(rule, xn, w1, b1, rH, 1e-6);
            for (int i = 0; i < 3; i++)
                Assert.True(Math.Abs(rX[i] - rel.Input![n, i].item<double>()) <= 1e-8 * (1 + Math.Abs(rX[i])), $"{rule}: sample {n}, input {i}: {rX[i]} vs {rel.Input![n, i].item<double>()}");
        }
    }

    private sealed class TinyResNet : GraphModule
    {
        public TinyResNet(bool hookedSum) : base("TinyResNet")
        {
            var c1 = Add("conv1", nn.Conv2d(2, 4, 3, padding: 1, bias: false));
            var c2 = Add("conv2", nn.Conv2d(4, 4, 3, padding: 1, bias: false));
            var c3 = Add("conv3", nn.Conv2d(4, 4, 3, padding: 1, bias: false));
            var fc = Add("fc", nn.Linear(4, 3, hasBias: false));
            Complete(new LayerChain(
                new ModuleStep(c1), new ModuleStep(nn.ReLU()),
                new ResidualSum(new LayerChain(new ModuleStep(c2), new ModuleStep(nn.ReLU()), new ModuleStep(c3)), new LayerChain(), FunctionalAdd: !hookedSum),
                new ModuleStep(nn.ReLU()), new ModuleStep(nn.AdaptiveAvgPool2d(1)), new ModuleStep(nn.Flatten()), new ModuleStep(fc)), registerFields: false);
            using var g = new Generator(17, CPU);
            ModelInit.Initialize(this, g, kaimingWeights: true);
        }
    }

    [Fact]
    public void HookedSumSplitsRelevanceProportionallyAndConserves()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var hooked = new TinyResNet(hookedSum: true);
        hooked.to(ScalarType.Float64);
        var x = TinyNets.Randn(18, 3, 2, 5, 5);
        var t = tensor(new long[] { 0, 1, 2 });
        var eps = new EpsilonRule(1e-12);
        var method = new LrpRelevance(new LrpComposite("lrp0", eps, eps, null, null, avgPool: new NormRule(1e-12), residualSum: new NormRule(1e-12)),
            new EpsilonWeightRule(1e-12), new NoCanonizer());
        using var rel = method.Attribute(hooked, x, t, withInputRelevance: true);
        double start = hooked.forward(x).gather(1, t.view(-1, 1)).sum().item<double>() / 3;
        Assert.Equal(start, rel.Input!.sum().item<double>(), 9);
        Assert.Equal(start, rel["conv1.weight"].sum().item<double>(), 9);
        // conv2 and conv3 only see the branch's share of the sum
        Assert.Equal(rel["conv2.weight"].sum().item<double>(), rel["conv3.weight"].sum().item<double>(), 9);
        Assert.True(Math.Abs(rel["conv3.weight"].sum().item<double>()) < Math.Abs(start) * 0.999 || Math.Abs(rel["conv3.weight"].sum().item<double>()) > Math.Abs(start) * 1.001);

        // With a plain (functional) add, relevance is copied to both paths (spec §b.5): the branch gets all of it.
        var plain = new TinyResNet(hookedSum: false);
        plain.to(ScalarType.Float64);
        using var relPlain = method.Attribute(plain, x, t, withInputRelevance: true);
        Assert.Equal(start, relPlain["conv3.weight"].sum().item<double>(), 9);
        Assert.Equal(start, relPlain["fc.weight"].sum().item<double>(), 9);
    }
}
