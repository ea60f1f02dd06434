using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>
/// Golden cases: a fixed seeded 64×64×3×3 tensor (36,864 weights, the size of ResNet20's largest layer) at
/// 4 bit, Λ = 0.05, with every intermediate derived independently by <see cref="ScalarEcqReference"/>.
/// </summary>
public class EcqGoldenTests
{
    private const int N = 36_864;
    private static readonly float[] W = QuantTestData.Weights(N, seed: 20240531, sigma: 0.04, skew: 0.3);

    public EcqGoldenTests() => TorchRuntime.EnsureLoaded();

    [Theory]
    [InlineData(true, true, N)]
    [InlineData(false, false, 4 * N)]
    [InlineData(true, false, 2 * N)]
    public void EcqMatchesScalarReferenceStepByStep(bool sequentialPmf, bool referenceLambdaMax, long nMax)
    {
        using var w = torch.tensor(W).reshape(64, 64, 3, 3);
        using var cb = Codebook.FromWeights(w, 4, name: "layer3.2.conv2.weight");
        var sc = ScalarEcqReference.Codebook(W, 4);

        // §a.3 codebook
        Assert.Equal(sc.Percentile, cb.PercentileValue, 1e-15);
        Assert.Equal(sc.Step, cb.Step);
        Assert.Equal(sc.MinLevel, cb.MinLevel);
        Assert.Equal(sc.PositiveVotes, cb.Vote!.Positive);
        Assert.Equal(sc.Centroids, cb.CentroidValues);

        var o = new EcqOptions
        {
            Lambda = 0.05,
            PmfBias = sequentialPmf ? PmfBias.ReferenceSequential : PmfBias.ExactRenormalisation,
            LambdaMaxVariant = referenceLambdaMax ? LambdaMaxVariant.ReferenceCode : LambdaMaxVariant.Thesis,
        };
        var r = ScalarEcqReference.Ecq(W, sc, 0.05, nMax, sequentialPmf, referenceLambdaMax);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, o, nMax, "layer3.2.conv2.weight");
        var d = q.Stats.Ecq!;

        // §a.4 steps 2–7
        Assert.Equal(r.Counts, d.NearestCounts);
        Assert.True(r.Counts[cb.ZeroIndex] < N / 2, "the golden case should exercise the PMF bias");
        for (int k = 0; k < cb.Count; k++)
        {
            Assert.Equal(r.Pmf[k], d.Pmf[k], 1e-15);
            Assert.Equal(r.Information[k], d.Information[k], 1e-12);
        }
        Assert.Equal(r.LambdaNegative!.Value, d.LambdaMax.Negative.Value!.Value, 1e-12);
        Assert.Equal(r.LambdaPositive!.Value, d.LambdaMax.Positive.Value!.Value, 1e-12);
        Assert.Equal(r.LambdaMax, d.LambdaMax.Value, 1e-12);
        Assert.Equal(r.Decay, d.LayerDecay, 1e-15);
        Assert.Equal(r.EffectiveLambda, d.EffectiveLambda, 1e-12);

        // §a.4 steps 8–9 and 11
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        QuantTestData.AssertEqualUpToTies(r.Assignment, actual, (i, k) => ScalarEcqReference.Cost(sc, r, k, W[i]), "golden ECQ");
        Assert.NotEqual(r.Nearest, r.Assignment); // the entropy term changed something
        var values = q.Values.reshape(-1).data<float>().ToArray();
        for (int i = 0; i < N; i++) Assert.Equal(sc.Centroids[actual[i]], values[i]);
        long zeros = actual.LongCount(a => a == cb.ZeroIndex);
        Assert.Equal(zeros / (double)N, q.Stats.Sparsity, 1e-15);
    }

    [Fact]
    public void EcqxMatchesScalarReference()
    {
        var rel = QuantTestData.Relevance(N, seed: 77).Select(x => (double)x).ToArray();
        using var w = torch.tensor(W).reshape(64, 64, 3, 3);
        using var rt = torch.tensor(rel).reshape(64, 64, 3, 3);
        using var cb = Codebook.FromWeights(w, 4);
        var sc = ScalarEcqReference.Codebook(W, 4);
        var r = ScalarEcqReference.Ecq(W, sc, 0.05, N);
        var sx = ScalarEcqReference.Ecqx(W, rel, sc, r);
        Assert.True(sx.Ran && sx.Iterations > 1, "the golden case should run several β iterations");

        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default, N, "golden", rt, EcqxOptions.Default);
        var e = q.Ecqx!;
        Assert.Equal(EcqxSkipReason.None, e.Skipped);
        Assert.Equal(sx.InitialBeta, e.InitialBeta, 1e-12);
        Assert.Equal(sx.Iterations, e.Iterations);
        Assert.Equal(sx.Beta, e.Beta, 1e-12);
        Assert.Equal(sx.BetaAfter, e.BetaAfterLastUpdate, 1e-12);
        Assert.Equal(sx.EcqSparsity, e.EcqSparsity, 1e-15);
        Assert.Equal(sx.EcqxSparsity, e.EcqxSparsity, 1e-15);
        double maxAbs = rel.Max(Math.Abs);
        var rtil = rel.Select(x => Math.Abs(x) / (maxAbs + 1e-12)).ToArray();
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        QuantTestData.AssertEqualUpToTies(sx.Assignment, actual, (i, k) =>
            ScalarEcqReference.Cost(sc, r, k, W[i]) * (k == sc.ZeroIndex ? 2 * Math.Pow(rtil[i] + 1e-12, sx.Beta) : 1), "golden ECQx");
        Assert.NotEqual(r.Assignment, sx.Assignment); // relevance changed something
    }
}
