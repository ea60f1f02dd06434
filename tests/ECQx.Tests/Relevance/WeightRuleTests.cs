using ECQx.Relevance;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

public class WeightRuleTests
{
    [Fact]
    public void LinearWeightRelevanceIsTheExplicitBatchSum()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var net = TinyNets.BiasedBnMlp(31);
        var x = TinyNets.Randn(32, 4, 6);
        var targets = tensor(new long[] { 2, 0, 1, 2 });
        using var rel = new LrpRelevance(LrpComposites.Create("epsilon_plus_flat_bn_pass")).Attribute(net, x, targets);

        // Independent forward in plain loops from the parameters: a = relu(fc2(relu(bn1(fc1 x)))), z = fc3(a).
        var p = net.named_parameters().ToDictionary(q => q.name, q => q.parameter.detach());
        var bufs = net.named_buffers().ToDictionary(q => q.name, q => q.buffer);
        double[,] W1 = RuleTests.To2D(p["fc1.weight"]), W2 = RuleTests.To2D(p["fc2.weight"]), W3 = RuleTests.To2D(p["fc3.weight"]);
        double[] b1 = p["fc1.bias"].data<double>().ToArray(), b2 = p["fc2.bias"].data<double>().ToArray(), b3 = p["fc3.bias"].data<double>().ToArray();
        double[] g = p["bn1.weight"].data<double>().ToArray(), be = p["bn1.bias"].data<double>().ToArray();
        double[] mu = bufs["bn1.running_mean"].data<double>().ToArray(), va = bufs["bn1.running_var"].data<double>().ToArray();
        var xs = RuleTests.To2D(x);
        int n = 4;
        var expected = new double[3, 5];
        var expectedBias = new double[3];
        for (int s = 0; s < n; s++)
        {
            var h1 = new double[8];
            for (int o = 0; o < 8; o++)
            {
                double z = b1[o];
                for (int i = 0; i < 6; i++) z += W1[o, i] * xs[s, i];
                h1[o] = Math.Max(0, (z - mu[o]) / Math.Sqrt(va[o] + 1e-5) * g[o] + be[o]);
            }
            var a = new double[5];
            for (int o = 0; o < 5; o++)
            {
                double z = b2[o];
                for (int i = 0; i < 8; i++) z += W2[o, i] * h1[i];
                a[o] = Math.Max(0, z);
            }
            var z3 = new double[3];
            for (int o = 0; o < 3; o++)
            {
                z3[o] = b3[o];
                for (int i = 0; i < 5; i++) z3[o] += W3[o, i] * a[i];
            }
            int y = (int)targets[s].item<long>();
            double r = z3[y] / n; // start relevance: target logit / batch size
            for (int i = 0; i < 5; i++) expected[y, i] += W3[y, i] * a[i] * r / ScalarLrp.Stab(z3[y], 1e-6);
            expectedBias[y] += b3[y] * r / ScalarLrp.Stab(z3[y], 1e-6);
        }
        for (int o = 0; o < 3; o++)
        {
            for (int i = 0; i < 5; i++) Assert.Equal(expected[o, i], rel["fc3.weight"][o, i].item<double>(), 10);
            Assert.Equal(expectedBias[o], rel["fc3.bias"][o].item<double>(), 10);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    public void GammaWeightRuleMatchesScalarReference(double gamma)
    {
        // One linear layer with bias: input a = x, start relevance R[n, y_n] = z[n, y_n] / N.
        // R_W[o,i] = W'[o,i] · Σ_n x[n,i] · R[n,o] / stab(z'[n,o]), W' = W + γ·W⁺, b' = b + γ·b⁺ (γ = 0: epsilon rule).
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var net = nn.Sequential(("fc", nn.Linear(5, 3)));
        net.to(ScalarType.Float64);
        using (no_grad())
        {
            net.named_parameters().First(p => p.name == "fc.weight").parameter.copy_(TinyNets.Randn(81, 3, 5));
            net.named_parameters().First(p => p.name == "fc.bias").parameter.copy_(TinyNets.Randn(82, 3));
        }
        var x = TinyNets.Randn(83, 4, 5);
        var targets = tensor(new long[] { 0, 2, 1, 2 });
        WeightRule rule = gamma == 0 ? new EpsilonWeightRule() : new GammaWeightRule(gamma);
        using var rel = new LrpRelevance(LrpComposites.Create("epsilon_flat"), rule).Attribute(net, x, targets);
        var W = RuleTests.To2D(net.named_parameters().First(p => p.name == "fc.weight").parameter.detach());
        var b = net.named_parameters().First(p => p.name == "fc.bias").parameter.detach().data<double>().ToArray();
        var xs = RuleTests.To2D(x);
        Func<double, double> mod = v => v + gamma * Math.Max(v, 0);
        var expected = new double[3, 5];
        for (int n = 0; n < 4; n++)
        {
            int y = (int)targets[n].item<long>();
            double z = b[y], zMod = mod(b[y]);
            for (int i = 0; i < 5; i++) { z += W[y, i] * xs[n, i]; zMod += mod(W[y, i]) * xs[n, i]; }
            double r = z / 4;
            for (int i = 0; i < 5; i++) expected[y, i] += mod(W[y, i]) * xs[n, i] * r / ScalarLrp.Stab(zMod, 1e-6);
        }
        for (int o = 0; o < 3; o++)
            for (int i = 0; i < 5; i++)
                Assert.Equal(expected[o, i], rel["fc.weight"][o, i].item<double>(), 10);
    }
}
