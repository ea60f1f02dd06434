using ECQx.Models;
using ECQx.Relevance;
using ECQx.Relevance.Engine;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>
/// The shortcuts of the LRP pass (channels-last layout, z + ε for non-negative z⁺, skipped input relevance, the
/// stabiliser's float-only formula, freeing activations during the walk) against the general computation.
/// </summary>
public class FastPathTests
{
    /// <summary>z⁺ with its W⁺ modifier not declared non-negative, so it always takes the general stabiliser.</summary>
    private sealed class GeneralZPlus : BasicRule
    {
        private readonly RuleTerm[] _terms = { new(InputModifier.Positive, ParameterModifier.Positive with { NonNegative = false }), new(InputModifier.Negative, ParameterModifier.Negative) };
        public GeneralZPlus() : base(Stabilizer.DefaultEpsilon) { }
        public override string Name => "zplus-general";
        public override IReadOnlyList<RuleTerm> Terms => _terms;
    }

    /// <summary>Same shape and every element equal.</summary>
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static AffineLayer Conv(long seed, long cin, long cout, long stride, bool bias)
    {
        var w = TinyNets.Randn(seed, cout, cin, 3, 3);
        var b = bias ? TinyNets.Randn(seed + 1, cout) : null;
        long[] s = { stride, stride }, p = { 1, 1 }, d = { 1, 1 };
        return new AffineLayer("conv", LayerKind.Convolution, w, b, "conv.weight", bias ? "conv.bias" : null,
            (x, ww, bb) => nn.functional.conv2d(x, ww, bb, s, p, d, 1));
    }

    [Theory]
    [InlineData(1L, 1L, false, true)]
    [InlineData(2L, 2L, true, true)]
    [InlineData(3L, 1L, true, false)]
    [InlineData(4L, 2L, false, false)]
    public void ZPlusMatchesTheGeneralStabiliserPath(long seed, long stride, bool bias, bool reluInput)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var layer = Conv(seed, 3, 5, stride, bias);
        var x = TinyNets.Randn(seed + 10, 4, 3, 9, 9);
        if (reluInput) x = x.relu(); // non-negative with exact zeros: the z + ε path
        var z = layer.Forward(x, layer.Weight, layer.Bias);
        var r = TinyNets.Randn(seed + 20, z.shape);
        var fast = new ZPlusRule().Relevance(layer, x, r);
        var general = new GeneralZPlus().Relevance(layer, x, r);
        // z⁺ + ε and ε·1 + z⁺ round identically, so the two paths agree exactly.
        Assert.True(Same(fast, general), $"max |diff| {TensorAssert.MaxAbsDiff(fast, general)}");
        Assert.True(fast.abs().sum().item<double>() > 0);
    }

    [Fact]
    public void StabilizerRoundsExactlyLikeTheReferenceFormula()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var special = tensor(new[] { 0.0, -0.0, 1e-7, -1e-7, 1e-6, -1e-6, 3.0, -2.5, 1e30, -1e-30 }, dtype: dtype);
            var z = cat(new[] { special, TinyNets.Randn(5, 1000).mul(1e-5).to_type(dtype) });
            const double eps = 1e-6;
            // zennit: z + ((z == 0) + sign(z)) · ε
            var reference = z.add(z.eq(0).to_type(dtype).add(z.sign()).mul(eps));
            var s = Stabilizer.Stabilize(z, eps);
            Assert.True(Same(s, reference), $"{dtype}: max |diff| {TensorAssert.MaxAbsDiff(s.to_type(ScalarType.Float64), reference.to_type(ScalarType.Float64))}");
            Assert.Equal(eps, s[1].to_type(ScalarType.Float64).item<double>(), 12); // −0.0 → +ε
        }
    }

    /// <summary>A float64 ResNet with one block per stage and random batch-norm statistics.</summary>
    private static ResNet20 RandomResNet20()
    {
        TorchRuntime.EnsureLoaded();
        var model = new ResNet20(blocksPerStage: 1, numClasses: 10, generator: new Generator(7, CPU)); // both shortcut kinds, 7 convolutions
        model.to(ScalarType.Float64);
        TinyNets.RandomizeBatchNorm(model, 7);
        return model;
    }

    [Theory]
    [InlineData("epsilon_plus_flat_bn_pass")]
    [InlineData("alpha2_beta1_flat")]
    [InlineData("epsilon_plus")]
    public void ChannelsLastLayoutGivesTheNchwRelevance(string composite)
    {
        using var scope = NewDisposeScope();
        using var model = RandomResNet20();
        var x = TinyNets.Randn(31, 2, 3, 32, 32);
        var t = tensor(new long[] { 3, 6 });
        using var cl = new LrpRelevance(LrpComposites.Create(composite)).Attribute(model, x, t, withInputRelevance: true);
        using var nchw = new LrpRelevance(LrpComposites.Create(composite)) { ChannelsLast = false }.Attribute(model, x, t, withInputRelevance: true);
        foreach (var name in nchw.Attributed)
        {
            double scale = nchw[name].abs().max().item<double>();
            Assert.True(TensorAssert.MaxAbsDiff(cl[name], nchw[name]) <= 1e-9 * scale, name);
            Assert.True(cl[name].is_contiguous(), $"{name} relevance is not a contiguous tensor");
        }
        Assert.Equal(nchw.Attributed.OrderBy(n => n), cl.Attributed.OrderBy(n => n));
        Assert.True(TensorAssert.MaxAbsDiff(cl.Input!, nchw.Input!) <= 1e-9 * nchw.Input!.abs().max().item<double>());
        Assert.True(cl.Input!.is_contiguous());
    }

    [Fact]
    public void SkippingTheInputRelevanceLeavesTheParameterRelevanceUnchanged()
    {
        using var scope = NewDisposeScope();
        using var model = RandomResNet20();
        var x = TinyNets.Randn(32, 2, 3, 32, 32);
        var t = tensor(new long[] { 1, 9 });
        using var with = new LrpRelevance().Attribute(model, x, t, withInputRelevance: true);
        using var without = new LrpRelevance().Attribute(model, x, t, withInputRelevance: false);
        Assert.Null(without.Input);
        Assert.NotNull(with.Input);
        foreach (var (name, r) in with.Parameters)
            Assert.True(Same(r, without[name]), name);
        // the first layer still gets weight relevance although its input rule (Flat) is skipped
        Assert.Contains("conv1.weight", without.Attributed);
        Assert.True(without["conv1.weight"].abs().sum().item<double>() > 0);
    }

    [Fact]
    public void TheWalkLeavesTheCallersInputsAlive()
    {
        using var scope = NewDisposeScope();
        using var model = RandomResNet20();
        // already channels-last and float64: the method uses it directly, and must not free it
        var x = MemoryLayout.ToChannelsLastOnCpu(TinyNets.Randn(33, 2, 3, 32, 32));
        var copy = x.clone();
        var t = tensor(new long[] { 0, 2 });
        using var a = new LrpRelevance().Attribute(model, x, t);
        Assert.True(Same(x, copy)); // still readable and unchanged
        using var b = new LrpRelevance().Attribute(model, x, t);
        foreach (var (name, r) in a.Parameters) Assert.True(Same(r, b[name]), name);
    }
}
