using ECQx.Quantization;
using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.Quantization;

public class EcqMathTests
{
    // Counts over the 2-bit grid {−2,−1,0,1}·Δ (zero index 2): P = [.1, .3, .4, .2], S = .6.
    private static readonly long[] Counts = { 10, 30, 40, 20 };

    [Fact]
    public void SequentialQuirkGivesTheReferenceNumbers()
    {
        // j=0: .1 − (.1/.6)(.5−.4) = .083333…;  j=1: .3 − (.3/.6)(.1) = .25;
        // j=2 (zero): .4 − (.4/.6)(.1) = .333333… (the "current" P0 from now on);
        // j=3: .2 − (.2/.6)(.5 − .333333…) = .144444…;  then P0 ← .5. Sum = .977777… < 1.
        var p = EcqMath.Pmf(Counts, 2, PmfBias.ReferenceSequential);
        Assert.Equal(new[] { 1.0 / 12, 0.25, 0.5, 0.2 - 0.2 / 0.6 * (0.5 - 1.0 / 3) }, p, new Tol(1e-15));
        Assert.Equal(0.144444444444444, p[3], 1e-12);
        Assert.Equal(0.977777777777778, p.Sum(), 1e-12);
        // The spec's closed form for clusters above zero: P·(0.5/S − P0(0.5−P0)/S²).
        Assert.Equal(0.2 * (0.5 / 0.6 - 0.4 * 0.1 / 0.36), p[3], 1e-14);
    }

    [Fact]
    public void ExactRenormalisationSumsToOne()
    {
        var p = EcqMath.Pmf(Counts, 2, PmfBias.ExactRenormalisation);
        Assert.Equal(new[] { 1.0 / 12, 0.25, 0.5, 1.0 / 6 }, p, new Tol(1e-15));
        Assert.Equal(1.0, p.Sum(), 1e-14);
    }

    [Fact]
    public void UnoccupiedClustersStayZeroAndAreSkippedByTheLoop()
    {
        // Occupied [0, 2, 3], P = [.1, 0, .4, .5]: j=0 → .083333; zero → .333333; j=3: .5 − (.5/.6)(.166667) = .361111.
        var p = EcqMath.Pmf(new long[] { 10, 0, 40, 50 }, 2, PmfBias.ReferenceSequential);
        Assert.Equal(new[] { 1.0 / 12, 0, 0.5, 0.5 - 0.5 / 0.6 * (0.5 - 1.0 / 3) }, p, new Tol(1e-15));
        Assert.Equal(0.361111111111111, p[3], 1e-12);
        var info = EcqMath.InformationContent(p);
        Assert.Equal(double.PositiveInfinity, info[1]);
        Assert.Equal(1.0, info[2]);
        Assert.Equal(Math.Log2(12), info[0], 1e-14);
    }

    [Fact]
    public void NoBiasWhenZeroClusterAlreadyHasHalf()
    {
        var p = EcqMath.Pmf(new long[] { 1, 6, 3 }, 1, PmfBias.ReferenceSequential);
        Assert.Equal(new[] { 0.1, 0.6, 0.3 }, p, new Tol(1e-15));
        Assert.Equal(new[] { 0.1, 0.6, 0.3 }, EcqMath.Pmf(new long[] { 1, 6, 3 }, 1, PmfBias.ExactRenormalisation), new Tol(1e-15));
        Assert.Equal(new[] { 0.1, 0.3, 0.4, 0.2 }, EcqMath.Pmf(Counts, 2, PmfBias.None), new Tol(1e-15));
    }

    [Fact]
    public void PmfNeedsAWeightNearestZero()
    {
        var e = Assert.Throws<ArgumentException>(() => EcqMath.Pmf(new long[] { 3, 0, 2 }, 1, PmfBias.ReferenceSequential));
        Assert.Contains("zero centroid", e.Message);
    }

    // Grid {−2,−1,0,1}, k− = 0 (c = −2), w− = −2.2; k+ = 3 (c = 1), w+ = 0.9; I = [log2 12, 2, 1, log2 6] (exact PMF).
    [Fact]
    public void LambdaMaxReferenceVariantTakesTheMaximum()
    {
        // Λn = ((−2 + 2.2)² − 2.2)² / (log2 12 − 1) = 4.6656 / 2.58496250 = 1.80490046
        // Λp = ((1 − 0.9)² + 0.9)² / (log2 6 − 1) = 0.8281 / 1.58496250 = 0.52247293
        var r = EcqMath.LambdaMax(LambdaMaxVariant.ReferenceCode, 2, 0, -2, -2.2, Math.Log2(12), 3, 1, 0.9, Math.Log2(6), 1);
        Assert.Equal(1.80490046, r.Negative.Value!.Value, 1e-8);
        Assert.Equal(0.52247293, r.Positive.Value!.Value, 1e-8);
        Assert.Equal(1.80490046, r.Value, 1e-8);
        Assert.Null(r.Note);
    }

    [Fact]
    public void LambdaMaxThesisVariantTakesTheMinimum()
    {
        // Λn = (2.2² − 0.2²)/2.58496250 = 4.8/2.58496250 = 1.85689347;  Λp = (0.81 − 0.01)/1.58496250 = 0.50474380
        var r = EcqMath.LambdaMax(LambdaMaxVariant.Thesis, 2, 0, -2, -2.2, Math.Log2(12), 3, 1, 0.9, Math.Log2(6), 1);
        Assert.Equal(1.85689347, r.Negative.Value!.Value, 1e-8);
        Assert.Equal(0.50474380, r.Positive.Value!.Value, 1e-8);
        Assert.Equal(0.50474380, r.Value, 1e-8);
    }

    [Fact]
    public void LambdaMaxSkipsASideWhoseExtremeClusterIsZero()
    {
        // Unsigned grid: k− = k0 = 0. The reference divides by zero; here λ* comes from the positive side.
        var r = EcqMath.LambdaMax(LambdaMaxVariant.ReferenceCode, 0, 0, 0, 0.01, 1, 2, 2, 2.1, 3, 1);
        Assert.Null(r.Negative.Value);
        Assert.Equal(Math.Pow(0.01 + 2.1, 2) / 2, r.Value, 1e-12);
        Assert.Contains("negative side", r.Note);

        var both = EcqMath.LambdaMax(LambdaMaxVariant.ReferenceCode, 1, 1, 0, -0.1, 1, 1, 0, 0.2, 1, 1);
        Assert.Equal(0.0, both.Value);
        Assert.Contains("λ* = 0", both.Note);
    }

    [Fact]
    public void LambdaMaxSkipsASideWithEqualInformation()
    {
        // P(k+) = P(k0) = 0.5 → I equal → zero denominator.
        var r = EcqMath.LambdaMax(LambdaMaxVariant.ReferenceCode, 1, 0, -1, -1.2, 3, 2, 1, 1.0, 1, 1);
        Assert.Null(r.Positive.Value);
        Assert.Equal(Math.Pow(0.04 - 1.2, 2) / 2, r.Value, 1e-12);
    }

    [Fact]
    public void LayerDecayHandValues()
    {
        Assert.Equal(1.0, EcqMath.LayerDecay(36864, 36864, 0.05), 1e-15);
        Assert.Equal(0.3 / 1.05, EcqMath.LayerDecay(9216, 36864, 0.05), 1e-15);   // (0.25 + 0.05)/1.05
        Assert.Equal(0.25, EcqMath.LayerDecay(9216, 36864, 0), 1e-15);
        Assert.Throws<ArgumentOutOfRangeException>(() => EcqMath.LayerDecay(10, 9, 0.05));
    }

    [Fact]
    public void EntropyHandValues()
    {
        Assert.Equal(1.0, EcqMath.EntropyBits(new long[] { 5, 5 }), 1e-15);
        Assert.Equal(1.5, EcqMath.EntropyBits(new long[] { 2, 0, 1, 1 }), 1e-15);
        Assert.Equal(0.0, EcqMath.EntropyBits(new long[] { 0, 7, 0 }), 1e-15);
    }

    [Property(MaxTest = 200)]
    public bool BiasedPmfKeepsOrderAndFloor(int seed)
    {
        var rng = new Random(seed);
        int k = 2 + rng.Next(15), k0 = rng.Next(k);
        var counts = Enumerable.Range(0, k).Select(_ => (long)(rng.NextDouble() < 0.3 ? 0 : rng.Next(1000))).ToArray();
        counts[k0] = 1 + rng.Next(1000);
        var seq = EcqMath.Pmf(counts, k0, PmfBias.ReferenceSequential);
        var exact = EcqMath.Pmf(counts, k0, PmfBias.ExactRenormalisation);
        bool ok = seq[k0] >= 0.5 && exact[k0] >= 0.5 && Math.Abs(exact.Sum() - 1) < 1e-12 && seq.Sum() <= 1 + 1e-12;
        for (int i = 0; i < k; i++)
        {
            ok &= (counts[i] == 0) == (seq[i] == 0) && (counts[i] == 0) == (exact[i] == 0);
            if (i < k0) ok &= Math.Abs(seq[i] - exact[i]) < 1e-15;      // below zero: identical
            if (i > k0) ok &= seq[i] <= exact[i] + 1e-15;               // above zero: slightly smaller
        }
        return ok;
    }

    private sealed class Tol(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double x) => 0;
    }
}
