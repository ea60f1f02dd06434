using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>
/// The β loop on the hand case of <see cref="EcqAssignmentTests"/> with Λ = 0.5 (ECQ levels
/// [−1, −1, 0, 0, 0, 0, 0, 0, 0, 0], s_E = 0.8). For each weight the zero cluster wins under ECQx when
/// r &lt; m/(2z) (m = best non-zero cost, z = zero cost): thresholds
/// [0.2825, 0.4296, 0.5299, 0.7782, 1.1562, 1.6521, 1.6760, 1.3549, 1.0611, 0.7384].
/// </summary>
public class EcqxCorrectionTests
{
    private static readonly EcqOptions Lambda05 = EcqOptions.Default with { Lambda = 0.5 };

    public EcqxCorrectionTests() => TorchRuntime.EnsureLoaded();

    private static EcqAssignment Run(float[] relevance, EcqxOptions? o = null, EcqOptions? ecq = null, float[]? weights = null)
    {
        using var cb = new Codebook(2, 1.0, -2);
        var v = weights ?? EcqAssignmentTests.Hand;
        using var w = torch.tensor(v);
        using var r = torch.tensor(relevance);
        return EntropyConstrainedQuantizer.Assign(w, cb, ecq ?? Lambda05, v.Length, "hand", r, o ?? EcqxOptions.Default);
    }

    [Fact]
    public void OneIterationLandsInTheWindowAndRegrowsTheRelevantWeight()
    {
        // R = [1 ×9, 10]: R̃ ≈ [.1 ×9, 1], mean .19, β0 = ln .5/ln .19 = 0.4173747; r = .1^β0 = .3825 for the
        // first nine, ≈ 1 for the last. Zero wins where r < threshold: weights 2…9 as before, plus w = −1.1
        // (.3825 < .4296), minus w = 0.9 (1 > .7384: regrows to +1). s_X = 0.8 ∈ [0.7, 0.8] → stop after one
        // evaluation; sign(s_E − s_X) = 0 so β is unchanged.
        using var q = Run(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 10 });
        Assert.Equal(new long[] { -1, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, QuantTestData.Levels(q));
        var e = q.Ecqx!;
        Assert.Equal(EcqxSkipReason.None, e.Skipped);
        Assert.Equal(1, e.Iterations);
        Assert.Equal(0.4173747, e.InitialBeta, 1e-6);
        Assert.Equal(e.InitialBeta, e.Beta);
        Assert.Equal(e.InitialBeta, e.BetaAfterLastUpdate);
        Assert.Equal(0.8, e.EcqSparsity, 1e-15);
        Assert.Equal(0.8, e.EcqxSparsity, 1e-15);
        Assert.True(e.Converged);
        Assert.Equal(0.19, e.MeanNormalizedRelevance, 1e-9);
        Assert.Equal(0.8, q.Stats.Sparsity, 1e-15);
    }

    [Fact]
    public void ThreeIterationsWithShrinkingBeta()
    {
        // R = [10, 1 ×9]: t=0: r = .3825 → zero for 1…9 (w = 0.9 now has r = .38 < .7384) → s_X = .9 > s_E:
        // β ← 0.9·β0. t=1: r = .1^(.9β0) = .4220 < .4296 still → s_X = .9, β ← .81·β0.
        // t=2: r = .1^(.81β0) = .4591 > .4296 → w = −1.1 back to −1 → s_X = .8 → in window, sign 0 → stop.
        using var q = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 });
        var e = q.Ecqx!;
        Assert.Equal(3, e.Iterations);
        Assert.Equal(0.81 * e.InitialBeta, e.Beta, 1e-12);
        Assert.Equal(e.Beta, e.BetaAfterLastUpdate);
        Assert.Equal(0.8, e.EcqxSparsity, 1e-15);
        Assert.Equal(new long[] { -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void FinalAssignmentComesFromTheLastEvaluatedBetaWhenTheLimitStopsTheLoop()
    {
        // With MaxIterations = 1 the loop evaluates t = 0 and t = 1 and stops: the returned assignment is the
        // t = 1 evaluation (β = 0.9β0, s_X = .9, not converged) while β has moved on to 0.81β0.
        using var q = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, EcqxOptions.Default with { MaxIterations = 1 });
        var e = q.Ecqx!;
        Assert.Equal(2, e.Iterations);
        Assert.Equal(0.9 * e.InitialBeta, e.Beta, 1e-12);
        Assert.Equal(0.81 * e.InitialBeta, e.BetaAfterLastUpdate, 1e-12);
        Assert.False(e.Converged);
        Assert.Equal(0.9, e.EcqxSparsity, 1e-15);
        Assert.Equal(new long[] { -1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void RhoScalesTheZeroCostAndTheStopConditionIsExact()
    {
        // ρ = 4: zero wins where r < m/(4z) = thresholds/2 = [.141, .215, .265, .389, .578, .826, .838, .677, .531, .369].
        // t=0..3 (β = β0·1.1^t, r = .1^β = .383, .348, .314, .280 for the first nine): zeros at 4…8 → s_X = .6
        // < s_E − p → β ×1.1. t=4: r = .1^(1.4641β0) = .245 < .265 → w = −0.9 joins: s_X = .7 — still "outside",
        // because in doubles 0.8 − 0.1 = 0.7000000000000001 > 0.7 (the reference's Python comparison does the
        // same). t=5: r = .1^(1.61051β0) = .213 < .215 → w = −1.1 joins: s_X = .8 → stop after 6 evaluations.
        // w = 0.9 (R̃ = 1, r = 1 > .369) regrows to +1.
        using var q = Run(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 10 }, EcqxOptions.Default with { Rho = 4 });
        var e = q.Ecqx!;
        Assert.Equal(6, e.Iterations);
        Assert.Equal(1.61051 * e.InitialBeta, e.Beta, 1e-12);
        Assert.Equal(0.8, e.EcqxSparsity, 1e-15);
        Assert.Equal(new long[] { -1, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void LowSparsityLayerIsNotCorrected()
    {
        // Λ = 0.05: s_E = 0.4 > p = 0.1 → runs; with p = 0.5, s_E ≤ p → skipped, ECQ kept.
        using var q = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, EcqxOptions.Default with { P = 0.5 }, EcqOptions.Default);
        Assert.Equal(EcqxSkipReason.SparsityWithinSlack, q.Ecqx!.Skipped);
        Assert.Equal(0, q.Ecqx.Iterations);
        Assert.Equal(new long[] { -2, -1, -1, -1, 0, 0, 0, 0, 1, 1 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void UniformRelevanceKeepsEcq()
    {
        using var q = Run(Enumerable.Repeat(-3f, 10).ToArray());
        Assert.Equal(EcqxSkipReason.UniformRelevance, q.Ecqx!.Skipped);
        Assert.Equal(new long[] { -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void AllZeroRelevanceIsAnErrorByDefaultOrKeepsEcqOnRequest()
    {
        var zero = new float[10];
        var e = Assert.Throws<InvalidDataException>(() => Run(zero));
        Assert.Contains("'hand'", e.Message);
        Assert.Contains("zero everywhere", e.Message);
        using var q = Run(zero, EcqxOptions.Default with { ZeroRelevance = ZeroRelevancePolicy.KeepEcqAssignment });
        Assert.Equal(EcqxSkipReason.AllZeroRelevance, q.Ecqx!.Skipped);
        Assert.Equal(new long[] { -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void SignOfRelevanceIsIgnored()
    {
        using var a = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 });
        using var b = Run(new float[] { -10, 1, -1, 1, -1, 1, -1, 1, -1, -1 });
        Assert.Equal(QuantTestData.Levels(a), QuantTestData.Levels(b));
        Assert.Equal(a.Ecqx!.Beta, b.Ecqx!.Beta);
    }

    [Fact]
    public void LambdaZeroIgnoresRelevance()
    {
        using var q = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, ecq: EcqOptions.Default with { Lambda = 0 });
        Assert.Equal(EcqxSkipReason.LambdaZero, q.Ecqx!.Skipped);
        Assert.Equal(new long[] { -2, -1, -1, -1, 0, 0, 0, 0, 1, 1 }, QuantTestData.Levels(q));
    }

    [Fact]
    public void StepScheduleAndIterationLimitAreOptions()
    {
        var o = new EcqxOptions { SlowStep = 0.2, MediumStep = 0.3, FastStep = 0.4, MediumStepFrom = 1, FastStepFrom = 2 };
        Assert.Equal(0.2, o.StepAt(0));
        Assert.Equal(0.3, o.StepAt(1));
        Assert.Equal(0.4, o.StepAt(2));
        Assert.Equal(0.4, o.StepAt(99));
        Assert.Equal(0.1, EcqxOptions.Default.StepAt(19));
        Assert.Equal(0.5, EcqxOptions.Default.StepAt(20));
        Assert.Equal(0.75, EcqxOptions.Default.StepAt(40));
        // With a 0.2 step the hand case moves β to 0.8·β0 after one non-converged step (r = .1^(.8β0) = .4638 > .4296).
        using var q = Run(new float[] { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, o);
        Assert.Equal(2, q.Ecqx!.Iterations);
        Assert.Equal(0.8 * q.Ecqx.InitialBeta, q.Ecqx.Beta, 1e-12);
    }
}
