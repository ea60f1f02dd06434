using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>
/// A ten-weight case worked out by hand on the grid {−2,−1,0,1} (Δ = 1, zero index 2):
/// w = [−2.2, −1.1, −0.9, −0.6, −0.3, 0.1, 0.2, 0.4, 0.6, 0.9], nearest counts [1, 3, 4, 2],
/// P (sequential quirk) = [1/12, .25, .5, .144444], I = [3.5849625, 2, 1, 2.7914134],
/// Λn = ((−2+2.2)² − 2.2)²/2.5849625 = 1.8049005, Λp = ((1−0.9)² + 0.9)²/1.7914134 = 0.4622607, λ* = 1.8049005,
/// n_max = n → δ = 1.
/// </summary>
public class EcqAssignmentTests
{
    internal static readonly float[] Hand = { -2.2f, -1.1f, -0.9f, -0.6f, -0.3f, 0.1f, 0.2f, 0.4f, 0.6f, 0.9f };

    public EcqAssignmentTests() => TorchRuntime.EnsureLoaded();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AValuesOnlyAssignmentHasTheSameValuesAndStatisticsButNoLevels(bool withRelevance)
    {
        // The trainer's path (EcqQuantizerSettings.AssignValues) must not change what it writes.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var w = torch.randn(3000) * 0.1f;
        var r = withRelevance ? torch.rand(3000) : null;
        var s = new EcqQuantizerSettings { Bits = 3, Ecq = EcqOptions.Default with { Lambda = 0.3 } };
        using var cb = s.CreateCodebook("w", w);
        using var full = s.Assign("w", w, cb, 3000, r);
        using var valuesOnly = s.AssignValues("w", w, cb, 3000, r);
        Assert.True(full.Values.eq(valuesOnly.Values).all().item<bool>());
        Assert.Equal(full.Stats.Histogram, valuesOnly.Stats.Histogram);
        Assert.Equal(full.Ecqx?.EcqxSparsity, valuesOnly.Ecqx?.EcqxSparsity);
        Assert.True(full.Stats.Sparsity > 0.1, $"sparsity {full.Stats.Sparsity}: raise Λ");
        var e = Assert.Throws<InvalidOperationException>(() => valuesOnly.Levels);
        Assert.Contains("values only", e.Message);
    }

    [Fact]
    public void HandCaseLambdaSmall()
    {
        // λ_l = 0.05·1.8049005 = 0.0902450: offsets λI = [0.3235, 0.1805, 0.0902, 0.2519]; e.g. w = 0.6:
        // zero .36 + .0902 = .4502 vs +1: .16 + .2519 = .4119 → level 1. Same as nearest here.
        using var cb = new Codebook(2, 1.0, -2);
        using var w = torch.tensor(Hand);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, Hand.Length, "hand");
        Assert.Equal(new long[] { -2, -1, -1, -1, 0, 0, 0, 0, 1, 1 }, QuantTestData.Levels(q));
        var d = q.Stats.Ecq!;
        Assert.Equal(new long[] { 1, 3, 4, 2 }, d.NearestCounts);
        AssertClose(new[] { 1.0 / 12, 0.25, 0.5, 0.1444444444 }, d.Pmf, 1e-9);
        AssertClose(new[] { 3.5849625, 2, 1, 2.7914134 }, d.Information, 1e-7);
        Assert.Equal(1.8049005, d.LambdaMax.Negative.Value!.Value, 1e-6);
        Assert.Equal(0.4622607, d.LambdaMax.Positive.Value!.Value, 1e-6);
        Assert.Equal(1.8049005, d.LambdaMax.Value, 1e-6);
        Assert.Equal(1.0, d.LayerDecay, 1e-15);
        Assert.Equal(0.0902450, d.EffectiveLambda, 1e-6);
        Assert.Equal((0, 3), d.ExtremeClusters);
        Assert.Equal(0.4, q.Stats.Sparsity, 1e-15);
        Assert.Equal(new long[] { 1, 3, 4, 2 }, q.Stats.Histogram);
        // H = −(.1 log .1 + .3 log .3 + .4 log .4 + .2 log .2) = 1.8464393 bits.
        Assert.Equal(1.8464393, q.Stats.EntropyBits, 1e-6);
        Assert.Equal(new[] { -2f, -1, -1, -1, 0, 0, 0, 0, 1, 1 }, q.Values.data<float>().ToArray());
    }

    private static void AssertClose(double[] expected, IReadOnlyList<double> actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tol);
    }

    [Fact]
    public void HandCaseLambdaLarge()
    {
        // λ_l = 0.5·1.8049005 = 0.9024503: offsets [3.2353, 1.8049, 0.9025, 2.5191].
        // w = −2.2: −2: .04 + 3.2353 = 3.2753 vs −1: 1.44 + 1.8049 = 3.2449 → −1 (moves inward).
        // w = −0.9: −1: .01 + 1.8049 = 1.8149 vs 0: .81 + .9025 = 1.7124 → 0. w = 0.9: 0: 1.7124 vs 1: 2.5291 → 0.
        using var cb = new Codebook(2, 1.0, -2);
        using var w = torch.tensor(Hand);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0.5 }, Hand.Length, "hand");
        Assert.Equal(new long[] { -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(q));
        Assert.Equal(0.8, q.Stats.Sparsity, 1e-15);
        Assert.Equal(new long[] { 0, 2, 8, 0 }, q.Stats.Histogram);
    }

    [Fact]
    public void HandCaseExactPmfAndThesisLambda()
    {
        // Exact PMF: I = [3.5849625, 2, 1, 2.5849625]; Λp(ref) = 0.8281/1.5849625 = 0.5224729.
        // Thesis: Λn = 4.8/2.5849625 = 1.8568935, Λp = 0.8/1.5849625 = 0.5047438 → λ* = min = 0.5047438.
        using var cb = new Codebook(2, 1.0, -2);
        using var w = torch.tensor(Hand);
        using var exact = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { PmfBias = PmfBias.ExactRenormalisation }, 10, "hand");
        Assert.Equal(0.5224729, exact.Stats.Ecq!.LambdaMax.Positive.Value!.Value, 1e-6);
        Assert.Equal(1.8049005, exact.Stats.Ecq.LambdaMax.Value, 1e-6);
        using var thesis = EntropyConstrainedQuantizer.Assign(w, cb,
            EcqOptions.Default with { PmfBias = PmfBias.ExactRenormalisation, LambdaMaxVariant = LambdaMaxVariant.Thesis, Lambda = 1 }, 10, "hand");
        Assert.Equal(1.8568935, thesis.Stats.Ecq!.LambdaMax.Negative.Value!.Value, 1e-6);
        Assert.Equal(0.5047438, thesis.Stats.Ecq.LambdaMax.Value, 1e-6);
        // The thesis λ_max is the λ at which the extreme cluster collapses into zero: with λ* = Λp, δ = 1, the
        // largest weight (0.9) sits exactly on the 0 / +1 boundary at Λ = 1, stays at +1 just below and joins 0
        // just above. (w = −0.6 goes to 0 in both: −1 costs .16 + 1.0095, 0 costs .36 + .5047.)
        using var below = EntropyConstrainedQuantizer.Assign(w, cb,
            EcqOptions.Default with { PmfBias = PmfBias.ExactRenormalisation, LambdaMaxVariant = LambdaMaxVariant.Thesis, Lambda = 0.999 }, 10, "hand");
        using var above = EntropyConstrainedQuantizer.Assign(w, cb,
            EcqOptions.Default with { PmfBias = PmfBias.ExactRenormalisation, LambdaMaxVariant = LambdaMaxVariant.Thesis, Lambda = 1.001 }, 10, "hand");
        Assert.Equal(new long[] { -2, -1, -1, 0, 0, 0, 0, 0, 0, 1 }, QuantTestData.Levels(below));
        Assert.Equal(new long[] { -2, -1, -1, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(above));
    }

    [Fact]
    public void LayerDecayShrinksLambdaForSmallLayers()
    {
        // n_max = 40 → δ = (10/40 + 0.05)/1.05 = 0.2857143; λ_l = 0.5·0.2857143·1.8049005 = 0.2578429.
        using var cb = new Codebook(2, 1.0, -2);
        using var w = torch.tensor(Hand);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0.5 }, 40, "hand");
        Assert.Equal(0.2857143, q.Stats.Ecq!.LayerDecay, 1e-6);
        Assert.Equal(0.2578429, q.Stats.Ecq.EffectiveLambda, 1e-6);
        using var sustain0 = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0.5, Sustain = 0 }, 40, "hand");
        Assert.Equal(0.25, sustain0.Stats.Ecq!.LayerDecay, 1e-15);
    }

    [Fact]
    public void LambdaZeroIsNearestWithTiesToTheLowerLevel()
    {
        // 0.5 and −0.5 are exactly half-way: ties go to the lower level (0 and −1).
        using var cb = new Codebook(2, 1.0, -2);
        using var w = torch.tensor(new float[] { 0.5f, -0.5f, 1.5f, -1.5f, 0.49f, 7f, -7f });
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0 }, 7, "ties");
        Assert.Equal(new long[] { 0, -1, 1, -2, 0, 1, -2 }, QuantTestData.Levels(q));
        Assert.Null(q.Stats.Ecq);
    }

    [Fact]
    public void EmptyClusterIsNeverChosen()
    {
        // Level −1 is empty under nearest assignment (I = +∞), so −2.0 stays at −2 however large λ is,
        // and nothing moves to −1 even when it would be cheaper than −2 by distance alone.
        using var cb = new Codebook(2, 1.0, -2);
        var v = new float[] { -2.4f, -2f, 0, 0.1f, -0.1f, 0.2f, 0.05f, 0.3f };
        using var w = torch.tensor(v);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0.3 }, v.Length, "empty");
        Assert.Equal(0, q.Stats.CountAt(-1));
        Assert.Equal(double.PositiveInfinity, q.Stats.Ecq!.Information[1]);
        Assert.Equal(0, q.Stats.Ecq.Pmf[1]);
    }

    [Fact]
    public void UnsignedGridUsesThePositiveSideOnly()
    {
        // Unsigned {0,1,2,3}: k− = k0, so λ* = Λp = ((3 − 3.2)² + 3.2)²/(I3 − I0) and a warning notes the skipped side.
        using var cb = new Codebook(2, 1.0, 0);
        var v = new float[] { 0, 0.1f, 0.2f, 0.3f, 1.1f, 2.2f, 3.2f, 0.9f };
        using var w = torch.tensor(v);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, v.Length, "relu");
        var d = q.Stats.Ecq!;
        Assert.Null(d.LambdaMax.Negative.Value);
        // counts [4, 2, 1, 1] → P0 = .5 (no bias), I = [1, 2, 3, 3].
        Assert.Equal(Math.Pow(Math.Pow(3 - 3.2f, 2) + 3.2f, 2) / 2, d.LambdaMax.Value, 5);
        Assert.Contains(q.Stats.Warnings, s => s.Contains("negative side"));
    }

    [Fact]
    public void AllZeroTensorIsReturnedUnchanged()
    {
        using var cb = new Codebook(4, 0.1, -8);
        using var w = torch.zeros(new long[] { 2, 3 }, torch.ScalarType.Float64);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 6, "zeros");
        Assert.True(q.Stats.AllZeroInput);
        Assert.Equal(torch.ScalarType.Float64, q.Values.dtype);
        Assert.Equal(new long[] { 2, 3 }, q.Values.shape);
        Assert.Equal(new long[] { 2, 3 }, q.Levels.shape);
        Assert.All(QuantTestData.Levels(q), l => Assert.Equal(0, l));
        Assert.Equal(1.0, q.Stats.Sparsity);
        Assert.NotSame(w, q.Values);
    }

    [Fact]
    public void OnlyZeroClusterOccupiedGivesLambdaStarZero()
    {
        // Every weight is nearest to 0: both λ_max sides are degenerate → λ* = 0 with a warning, all pruned.
        using var cb = new Codebook(3, 1.0, -4);
        var v = new float[] { 0.1f, -0.2f, 0.3f, -0.4f };
        using var w = torch.tensor(v);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 4, "tiny");
        Assert.Equal(0.0, q.Stats.Ecq!.LambdaMax.Value);
        Assert.Equal(1.0, q.Stats.Sparsity);
        Assert.NotEmpty(q.Stats.Warnings);
    }

    [Fact]
    public void DegenerateCodebookMapsEverythingToZeroWithAWarning()
    {
        using var z = torch.zeros(4);
        using var cb = Codebook.FromWeights(z, 4);
        using var w = torch.tensor(new float[] { 0.1f, -0.2f, 0, 3 });
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 4, "dead");
        Assert.All(q.Values.data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.NotEmpty(q.Stats.Warnings);
    }

    [Fact]
    public void ShapeDtypeAndDeviceFollowTheInput()
    {
        var v = QuantTestData.Weights(2 * 3 * 4 * 5, seed: 5);
        using var w = torch.tensor(v).reshape(2, 3, 4, 5);
        using var cb = Codebook.FromWeights(w, 4);
        foreach (var dtype in new[] { torch.ScalarType.Float32, torch.ScalarType.Float64, torch.ScalarType.Float16, torch.ScalarType.BFloat16 })
        {
            using var wt = w.to_type(dtype);
            using var q = EntropyConstrainedQuantizer.Assign(wt, cb, EcqOptions.Default, 120, "t");
            Assert.Equal(dtype, q.Values.dtype);
            Assert.Equal(torch.ScalarType.Int64, q.Levels.dtype);
            Assert.Equal(w.shape, q.Values.shape);
            Assert.Equal(w.shape, q.Levels.shape);
            Assert.Equal(w.device.ToString(), q.Values.device.ToString());
            // values = centroid(level) cast to the dtype
            using var expected = (q.Levels.to_type(torch.ScalarType.Float64) * cb.Step).to_type(torch.ScalarType.Float32).to_type(dtype);
            Assert.True(QuantTestData.Same(expected, q.Values));
        }
    }

    [Fact]
    public void NoNativeTensorsLeakPerCall()
    {
        var v = QuantTestData.Weights(4096, seed: 9);
        var rel = QuantTestData.Relevance(4096, seed: 10);
        using var w = torch.tensor(v);
        using var r = torch.tensor(rel);
        using var cb = Codebook.FromWeights(w, 4);
        using (EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 4096, "warm", r)) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, 4096, "leak", r);
            using var g = StraightThroughEstimator.ScaleGradient(w, q);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
