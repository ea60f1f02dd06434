using ECQx.IO;
using ECQx.Models;
using ECQx.Relevance;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>The default LRP on the pretrained ResNet-20 against an independent implementation of spec §b.6.</summary>
public class ResNet20LrpTests
{
    private static ResNet20 Pretrained64()
    {
        TorchRuntime.EnsureLoaded();
        var model = new ResNet20();
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.to(ScalarType.Float64);
        model.eval();
        return model;
    }

    [Fact]
    public void DefaultCompositeMatchesTheSpecB6Walkthrough()
    {
        using var scope = NewDisposeScope();
        using var model = Pretrained64();
        var w = StateDictLoader.Targets(model);
        var x = TinyNets.Randn(21, 4, 3, 32, 32);
        var targets = tensor(new long[] { 1, 4, 7, 9 });
        using var rel = new LrpRelevance().Attribute(model, x, targets);
        var expected = SpecB6.WeightRelevance(w, x, targets);
        Assert.Equal(21, expected.Count); // 19 convs + linear weight and bias
        foreach (var (name, r) in expected)
        {
            var got = rel[name];
            double scale = r.abs().max().item<double>();
            Assert.True(scale > 0, name);
            Assert.True(TensorAssert.MaxAbsDiff(got, r) <= 1e-8 * scale, $"{name}: max |diff| {TensorAssert.MaxAbsDiff(got, r)} vs scale {scale}");
        }
        // Exactly the conv/linear parameters are attributed; BN parameters (Pass) get none.
        Assert.Equal(expected.Keys.OrderBy(k => k), rel.Attributed.OrderBy(k => k));
        Assert.All(rel.Parameters.Where(p => p.Key.Contains(".bn") || p.Key.StartsWith("bn1")), p => Assert.Equal(0.0, p.Value.abs().sum().item<double>()));
        foreach (var (name, p) in model.named_parameters()) Assert.Equal(p.shape, rel[name].shape);
    }

    [Fact]
    public void BatchNormCanonizerHasNoEffectUnderBnPass()
    {
        using var scope = NewDisposeScope();
        using var model = Pretrained64();
        var x = TinyNets.Randn(22, 2, 3, 32, 32);
        var t = tensor(new long[] { 0, 5 });
        using var a = new LrpRelevance(canonizer: new BatchNormAffineCanonizer()).Attribute(model, x, t, withInputRelevance: true);
        using var b = new LrpRelevance(canonizer: new NoCanonizer()).Attribute(model, x, t, withInputRelevance: true);
        // Identical up to rounding (the re-parameterised batch norm evaluates (x − 0)/√(1 − eps + eps)·γ' + β').
        foreach (var name in a.Attributed)
            Assert.True(TensorAssert.MaxAbsDiff(a[name], b[name]) <= 1e-10 * b[name].abs().max().item<double>(), name);
        Assert.True(TensorAssert.MaxAbsDiff(a.Input!, b.Input!) <= 1e-10 * b.Input!.abs().max().item<double>());
    }

    [Fact]
    public void GradientTimesWeightMatchesAutogradThroughResidualsAndShortcuts()
    {
        using var scope = NewDisposeScope();
        using var model = Pretrained64();
        var x = TinyNets.Randn(23, 2, 3, 32, 32);
        var t = tensor(new long[] { 2, 8 });
        using var gxw = GradientTimesWeight.Create().Attribute(model, x, t, withInputRelevance: true);
        var (pg, xg) = TinyNets.Autograd(model, x, t);
        foreach (var (name, p) in model.named_parameters())
            Assert.True(allclose(gxw[name], pg[name].mul(p.detach()), rtol: 1e-8, atol: 1e-14), name);
        Assert.True(allclose(gxw.Input!, xg.mul(x), rtol: 1e-8, atol: 1e-14));
    }

    public static IEnumerable<object[]> AllComposites() => LrpComposites.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(AllComposites))]
    public void EveryCompositeRunsOnResNet20WithFiniteRelevance(string composite)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var model = new ResNet20(generator: new Generator(3, CPU));
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        var x = TinyNets.Randn(24, 2, 3, 32, 32).to_type(ScalarType.Float32);
        using var rel = RelevanceMethods.Create("lrp:" + composite).Attribute(model, x, tensor(new long[] { 0, 1 }), withInputRelevance: true);
        Assert.Equal(model.parameters().Count(), rel.Parameters.Count);
        foreach (var (name, r) in rel.Parameters) Assert.True(r.isfinite().all().item<bool>(), $"{composite}: {name}");
        Assert.Contains("layer3.2.conv2.weight", rel.Attributed);
        Assert.Contains("conv1.weight", rel.Attributed);
        Assert.True(rel["layer1.0.conv1.weight"].abs().sum().item<float>() > 0);
        Assert.Equal(x.shape, rel.Input!.shape);
    }

    [Fact]
    public void MergeCanonizerKeepsTheEvalFunctionAndReportsFoldedWeights()
    {
        using var scope = NewDisposeScope();
        using var model = Pretrained64();
        var x = TinyNets.Randn(25, 2, 3, 32, 32);
        var t = tensor(new long[] { 3, 3 });
        // With the gradient rule everywhere and the gradient weight rule, folding BN into the convs must not change
        // gradient × weight (W ⊙ ∂/∂W = W' ⊙ ∂/∂W' for W' = W·γ').
        var gradient = LrpComposites.Gradient();
        using var folded = new LrpRelevance(gradient, GradientWeightRule.Instance, new MergeBatchNormCanonizer(), OutputRelevance.Ones).Attribute(model, x, t, true);
        using var plain = new LrpRelevance(gradient, GradientWeightRule.Instance, new NoCanonizer(), OutputRelevance.Ones).Attribute(model, x, t, true);
        foreach (var (name, p) in model.named_parameters().Where(p => p.parameter.dim() > 1))
            Assert.True(allclose(folded[name], plain[name], rtol: 1e-8, atol: 1e-14), name);
        Assert.True(allclose(folded.Input!, plain.Input!, rtol: 1e-8, atol: 1e-14));
        Assert.DoesNotContain("bn1.weight", folded.Attributed); // folded batch norms are gone
        Assert.Contains("bn1.weight", plain.Attributed);
    }
}

/// <summary>
/// Spec §b.6 written out step by step with functional ops (float64): forward caching, FC ε, average pool ÷64,
/// blocks from layer3.2 down with z⁺ transposed convolutions, masks, option-A shortcut under Norm, stem.
/// </summary>
internal static class SpecB6
{
    private const double Eps = 1e-6;

    private static Tensor Stab(Tensor z) => z + (z.eq(0).to_type(z.dtype) + z.sign()) * Eps;

    private static Tensor Bn(IReadOnlyDictionary<string, Tensor> w, Tensor t, string p) =>
        (t - w[p + ".running_mean"].view(1, -1, 1, 1)) / (w[p + ".running_var"].view(1, -1, 1, 1) + 1e-5).sqrt()
        * w[p + ".weight"].view(1, -1, 1, 1) + w[p + ".bias"].view(1, -1, 1, 1);

    private static Tensor Conv(Tensor x, Tensor k, long stride) => nn.functional.conv2d(x, k, null, new[] { stride, stride }, new long[] { 1, 1 });

    /// <summary><c>W ⊙ ∂/∂W ⟨conv(x, W), g⟩</c>.</summary>
    private static Tensor WeightRel(Tensor x, Tensor k, long stride, Tensor g)
    {
        var kl = k.detach().clone().requires_grad_(true);
        var z = Conv(x, kl, stride);
        var gw = autograd.grad(new[] { z }, new[] { kl }, new[] { g })[0];
        return k * gw;
    }

    /// <summary>z⁺ input relevance with an explicit transposed convolution.</summary>
    private static Tensor ZPlusInput(Tensor x, Tensor k, long stride, Tensor r)
    {
        var kp = k.clamp_min(0);
        var z = Conv(x, kp, stride);
        var g = r / Stab(z);
        long op = stride == 2 ? 1 : 0;
        var back = nn.functional.conv_transpose2d(g, kp, null, new[] { stride, stride }, new long[] { 1, 1 }, new[] { op, op });
        return x * back;
    }

    public static Dictionary<string, Tensor> WeightRelevance(IReadOnlyDictionary<string, Tensor> w, Tensor x, Tensor y)
    {
        var outR = new Dictionary<string, Tensor>();
        using var _ = no_grad();
        // 1. forward with caches
        var c1 = Conv(x, w["conv1.weight"], 1);
        var b1 = Bn(w, c1, "bn1");
        var h = b1.relu();
        var blocks = new List<(string P, long Stride, Tensor Hin, Tensor UPre, Tensor Bn1Out, Tensor U, Tensor V, Tensor S)>();
        for (int stage = 1; stage <= 3; stage++)
            for (int bl = 0; bl < 3; bl++)
            {
                string p = $"layer{stage}.{bl}";
                long stride = stage > 1 && bl == 0 ? 2 : 1;
                var uPre = Conv(h, w[p + ".conv1.weight"], stride);
                var bn1Out = Bn(w, uPre, p + ".bn1");
                var u = bn1Out.relu();
                var v = Conv(u, w[p + ".conv2.weight"], 1);
                var bn2Out = Bn(w, v, p + ".bn2");
                Tensor sc = h;
                if (stride == 2)
                {
                    var sub = h[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
                    var zer = zeros(sub.shape[0], bn2Out.shape[1] / 4, sub.shape[2], sub.shape[3], dtype: h.dtype);
                    sc = cat(new[] { zer, sub, zer }, 1);
                }
                var s = bn2Out + sc;
                blocks.Add((p, stride, h, uPre, bn1Out, u, v, s));
                h = s.relu();
            }
        var a = h.mean(new long[] { 2, 3 });
        var zfc = a.matmul(w["linear.weight"].t()) + w["linear.bias"];
        // 2. start
        var rLogit = nn.functional.one_hot(y, 10).to_type(zfc.dtype) * zfc / x.shape[0];
        // 3. FC (ε)
        var g = rLogit / Stab(zfc);
        outR["linear.weight"] = w["linear.weight"] * g.t().matmul(a);
        outR["linear.bias"] = w["linear.bias"] * g.sum(new long[] { 0 });
        var rA = a * g.matmul(w["linear.weight"]);
        // 4. average pool
        var rH = (rA / 64).view(rA.shape[0], rA.shape[1], 1, 1).expand(h.shape).contiguous();
        // 5. blocks
        for (int i = blocks.Count - 1; i >= 0; i--)
        {
            var (p, stride, hin, uPre, bn1Out, u, v, s) = blocks[i];
            var rS = rH * s.gt(0).to_type(s.dtype);
            var w2 = w[p + ".conv2.weight"];
            var w1 = w[p + ".conv1.weight"];
            using (enable_grad()) outR[p + ".conv2.weight"] = WeightRel(u, w2, 1, rS / Stab(v));
            var rU = ZPlusInput(u, w2, 1, rS);
            var rConv1Out = rU * bn1Out.gt(0).to_type(u.dtype);
            using (enable_grad()) outR[p + ".conv1.weight"] = WeightRel(hin, w1, stride, rConv1Out / Stab(uPre));
            var rBranch = ZPlusInput(hin, w1, stride, rConv1Out);
            Tensor rShort;
            if (stride == 1) rShort = rS;
            else
            {
                long p4 = rS.shape[1] / 4, c = hin.shape[1];
                var sub = hin[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
                var rAtSub = sub * rS.narrow(1, p4, c) / Stab(sub);
                rShort = zeros_like(hin);
                rShort[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)] = rAtSub;
            }
            rH = rBranch + rShort;
        }
        // 6. stem
        var rC1 = rH * b1.gt(0).to_type(b1.dtype);
        using (enable_grad()) outR["conv1.weight"] = WeightRel(x, w["conv1.weight"], 1, rC1 / Stab(c1));
        return outR;
    }
}
