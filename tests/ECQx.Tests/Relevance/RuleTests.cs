using ECQx.Relevance.Engine;
using ECQx.Relevance.Lrp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>Each rule against hand-computed numbers and a scalar reference implementation of the formulas.</summary>
public class RuleTests
{
    private static AffineLayer Dense(double[,] w, double[]? b)
    {
        int o = w.GetLength(0), i = w.GetLength(1);
        var wt = tensor(w.Cast<double>().ToArray(), new long[] { o, i }, dtype: ScalarType.Float64);
        var bt = b is null ? null : tensor(b, dtype: ScalarType.Float64);
        return new AffineLayer("dense", LayerKind.Linear, wt, bt, "dense.weight", b is null ? null : "dense.bias",
            (x, ww, bb) => nn.functional.linear(x, ww, bb));
    }

    [Fact]
    public void EpsilonMatchesHandComputedValues()
    {
        TorchRuntime.EnsureLoaded();
        // z = W x + b = [1·1 + 2·(−2) + 0.5, −1·1 + 3·(−2) − 1] = [−2.5, −8]; R/z = [−0.4, −0.25]
        // R_0 = 1·(1·−0.4 + (−1)·−0.25) = −0.15 ; R_1 = −2·(2·−0.4 + 3·−0.25) = 3.1
        var layer = Dense(new double[,] { { 1, 2 }, { -1, 3 } }, new[] { 0.5, -1 });
        var x = tensor(new[] { 1.0, -2.0 }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        var r = tensor(new[] { 1.0, 2.0 }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        var rin = new EpsilonRule(1e-12).Relevance(layer, x, r);
        Assert.Equal(-0.15, rin[0, 0].item<double>(), 10);
        Assert.Equal(3.1, rin[0, 1].item<double>(), 10);
    }

    [Fact]
    public void ZPlusMatchesHandComputedValues()
    {
        TorchRuntime.EnsureLoaded();
        // x⁺ = [1, 0], x⁻ = [0, −2]; W⁺ = [[1,2],[0,3]], b⁺ = [0.5, 0]: z⁺ = [1.5, 0] → R⁺ = [1·1·(1/1.5), 0]
        // W⁻ = [[0,0],[−1,0]]: z⁻ = [0, 0] and the x⁻ term is x⁻ ⊙ (W⁻ᵀ (R/ε)) = [0, −2·0] = 0
        var layer = Dense(new double[,] { { 1, 2 }, { -1, 3 } }, new[] { 0.5, -1 });
        var x = tensor(new[] { 1.0, -2.0 }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        var r = tensor(new[] { 1.0, 2.0 }, new long[] { 1, 2 }, dtype: ScalarType.Float64);
        var rin = new ZPlusRule(1e-12).Relevance(layer, x, r);
        Assert.Equal(2.0 / 3.0, rin[0, 0].item<double>(), 10);
        Assert.Equal(0.0, rin[0, 1].item<double>(), 10);
    }

    public static IEnumerable<object[]> Rules() => new[]
    {
        new object[] { "epsilon" }, new object[] { "zplus" }, new object[] { "alphabeta" },
        new object[] { "gamma" }, new object[] { "flat" }, new object[] { "wsquare" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void DenseRuleMatchesScalarReference(string rule)
    {
        TorchRuntime.EnsureLoaded();
        const int n = 3, nin = 5, nout = 4;
        var w = TinyNets.Randn(1, nout, nin);
        var b = TinyNets.Randn(2, nout);
        var x = TinyNets.Randn(3, n, nin);
        var r = TinyNets.Randn(4, n, nout);
        var layer = new AffineLayer("d", LayerKind.Linear, w, b, null, null, (xx, ww, bb) => nn.functional.linear(xx, ww, bb));
        BasicRule impl = rule switch
        {
            "epsilon" => new EpsilonRule(), "zplus" => new ZPlusRule(), "alphabeta" => new AlphaBetaRule(2, 1),
            "gamma" => new GammaRule(0.25), "flat" => new FlatRule(), _ => new WSquareRule(),
        };
        var got = impl.Relevance(layer, x, r);
        var wa = To2D(w); var ba = b.data<double>().ToArray(); var xa = To2D(x); var ra = To2D(r);
        for (int s = 0; s < n; s++)
        {
            var expected = ScalarLrp.Rule(rule, Row(xa, s), wa, ba, Row(ra, s), 1e-6);
            for (int i = 0; i < nin; i++)
                Assert.Equal(expected[i], got[s, i].item<double>(), 8);
        }
    }

    [Fact]
    public void ZPlusEqualsAlpha1Beta0()
    {
        TorchRuntime.EnsureLoaded();
        var conv = new AffineLayer("c", LayerKind.Convolution, TinyNets.Randn(5, 4, 3, 3, 3), TinyNets.Randn(6, 4), null, null,
            (xx, ww, bb) => nn.functional.conv2d(xx, ww, bb, new long[] { 1, 1 }, new long[] { 1, 1 }));
        var x = TinyNets.Randn(7, 2, 3, 6, 6); // mixed signs
        var r = TinyNets.Randn(8, 2, 4, 6, 6);
        var zplus = new ZPlusRule().Relevance(conv, x, r);
        var ab = new AlphaBetaRule(1, 0).Relevance(conv, x, r);
        Assert.True(allclose(zplus, ab, rtol: 1e-12, atol: 1e-12));
        Assert.True(zplus.abs().sum().item<double>() > 0);
    }

    [Fact]
    public void ConvolutionRuleMatchesTheDenseFormOfTheSameMap()
    {
        // A 1×1 convolution on a 1×1 image is a linear layer: the conv path (transposed conv via autograd) must
        // give the scalar reference values too.
        TorchRuntime.EnsureLoaded();
        var w = TinyNets.Randn(11, 4, 5);
        var b = TinyNets.Randn(12, 4);
        var x = TinyNets.Randn(13, 2, 5).abs();
        var r = TinyNets.Randn(14, 2, 4);
        var conv = new AffineLayer("c", LayerKind.Convolution, w.view(4, 5, 1, 1), b, null, null,
            (xx, ww, bb) => nn.functional.conv2d(xx, ww, bb, new long[] { 1, 1 }, new long[] { 0, 0 }));
        var got = new AlphaBetaRule(2, 1).Relevance(conv, x.view(2, 5, 1, 1), r.view(2, 4, 1, 1)).view(2, 5);
        var wa = To2D(w); var ba = b.data<double>().ToArray(); var xa = To2D(x); var ra = To2D(r);
        for (int s = 0; s < 2; s++)
        {
            var expected = ScalarLrp.Rule("alphabeta", Row(xa, s), wa, ba, Row(ra, s), 1e-6);
            for (int i = 0; i < 5; i++) Assert.Equal(expected[i], got[s, i].item<double>(), 8);
        }
    }

    [Fact]
    public void StabilizerFollowsTheReferenceDefinition()
    {
        TorchRuntime.EnsureLoaded();
        var z = tensor(new[] { -2.0, 0.0, 3.0 }, dtype: ScalarType.Float64);
        var s = Stabilizer.Stabilize(z, 0.5);
        Assert.Equal(new[] { -2.5, 0.5, 3.5 }, s.data<double>().ToArray());
    }

    [Fact]
    public void AlphaBetaRejectsInvalidParameters()
    {
        Assert.Throws<ArgumentException>(() => new AlphaBetaRule(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlphaBetaRule(-1, -2));
    }

    internal static double[,] To2D(Tensor t)
    {
        var a = t.contiguous().data<double>().ToArray();
        int r = (int)t.shape[0], c = (int)t.shape[1];
        var m = new double[r, c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i, j] = a[i * c + j];
        return m;
    }

    internal static double[] Row(double[,] m, int r) => Enumerable.Range(0, m.GetLength(1)).Select(j => m[r, j]).ToArray();
}

/// <summary>Scalar (loop) reference of the zennit-fork rules for one dense layer and one sample.</summary>
internal static class ScalarLrp
{
    private enum In { Id, Pos, Neg, Ones }

    public static double Stab(double z, double eps) => z + ((z == 0 ? 1 : 0) + Math.Sign(z)) * eps;

    public static double[] Rule(string rule, double[] x, double[,] w, double[] b, double[] r, double eps)
    {
        Func<double, double> id = v => v, pos = v => Math.Max(v, 0), neg = v => Math.Min(v, 0);
        var terms = rule switch
        {
            "epsilon" => new[] { (In.Id, id, 1.0) },
            "zplus" => new[] { (In.Pos, pos, 1.0), (In.Neg, neg, 1.0) },
            "alphabeta" => new[] { (In.Pos, pos, 2.0), (In.Neg, neg, 2.0), (In.Pos, neg, -1.0), (In.Neg, pos, -1.0) },
            "gamma" => new[] { (In.Id, (Func<double, double>)(v => v + 0.25 * Math.Max(v, 0)), 1.0) },
            "flat" => new[] { (In.Ones, (Func<double, double>)(_ => 1.0), 1.0) },
            "wsquare" => new[] { (In.Ones, (Func<double, double>)(v => v * v), 1.0) },
            _ => throw new ArgumentException(rule),
        };
        int nout = w.GetLength(0), nin = w.GetLength(1);
        var result = new double[nin];
        foreach (var (mode, p, coef) in terms)
        {
            var xt = x.Select(v => mode switch { In.Id => v, In.Pos => Math.Max(v, 0), In.Neg => Math.Min(v, 0), _ => 1.0 }).ToArray();
            var z = new double[nout];
            for (int o = 0; o < nout; o++)
            {
                double s = mode == In.Neg ? 0 : p(b[o]);
                for (int i = 0; i < nin; i++) s += p(w[o, i]) * xt[i];
                z[o] = s;
            }
            for (int i = 0; i < nin; i++)
            {
                double g = 0;
                for (int o = 0; o < nout; o++) g += p(w[o, i]) * r[o] / Stab(z[o], eps);
                result[i] += coef * (mode == In.Ones ? g : xt[i] * g);
            }
        }
        return result;
    }
}
