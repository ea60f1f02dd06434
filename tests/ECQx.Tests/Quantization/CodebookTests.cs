using ECQx.Quantization;
using FsCheck;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

public class CodebookTests
{
    public CodebookTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void PercentileFollowsNumpyLinearInterpolation()
    {
        // numpy.percentile([1,2,3,4,5], 99.9): h = 4·0.999 = 3.996 → 4 + 0.996·(5 − 4) = 4.996.
        using var t = torch.tensor(new float[] { 3, 1, 5, 2, 4 });
        Assert.Equal(4.996, Codebook.NumpyLinearPercentile(t, 99.9), 1e-12);
        // h = 4·0.5 = 2 exactly → the middle value; h = 4·0.1 = 0.4 → 1 + 0.4 = 1.4.
        Assert.Equal(3.0, Codebook.NumpyLinearPercentile(t, 50), 1e-12);
        Assert.Equal(1.4, Codebook.NumpyLinearPercentile(t, 10), 1e-12);
        Assert.Equal(5.0, Codebook.NumpyLinearPercentile(t, 100), 1e-12);
        Assert.Equal(1.0, Codebook.NumpyLinearPercentile(t, 0), 1e-12);
        using var one = torch.tensor(new float[] { 7 });
        Assert.Equal(7.0, Codebook.NumpyLinearPercentile(one, 99.9), 1e-12);
    }

    [Fact]
    public void SignedGridNegativeSideWinsTheVote()
    {
        // |w| sorted = [0.5, 1, 1, 2, 3]: p99.9 = 2 + 0.996·1 = 2.996; signed, b = 2 → D = 1, Δ = 2.996.
        // Votes: |2| > |−3| no; mean+ 1.1667 > mean− 2 no; count 3 > 2 YES; sum 3.5 > 4 no; std 0.764 > 1.414 no
        // → POS 1, NEG 4 → levels −2…1.
        using var w = torch.tensor(new float[] { -3, -1, 0.5f, 1, 2 });
        using var cb = Codebook.FromWeights(w, 2, name: "conv");
        Assert.Equal(new SignVote(false, false, true, false, false), cb.Vote);
        Assert.Equal(-2, cb.MinLevel);
        Assert.Equal(1, cb.MaxLevel);
        Assert.Equal(2, cb.ZeroIndex);
        Assert.Equal((double)(float)2.996, cb.Step);
        Assert.Equal(new[] { -2 * (float)2.996, -(float)2.996, 0f, (float)2.996 }, cb.CentroidValues);
        Assert.Equal(cb.CentroidValues, cb.Centroids.data<float>().ToArray());
        Assert.Equal(2.996, cb.PercentileValue, 1e-12);
        Assert.False(cb.UsedMaxFallback);
    }

    [Fact]
    public void SignedGridPositiveSideWinsTheMirroredVote()
    {
        // The mirror image: every test flips except (iii) counts, now 2 > 3 = no → POS 4 → levels −1…2 (b = 2)
        // and −7…8 for b = 4 with Δ = 2.996/7.
        using var w = torch.tensor(new float[] { 3, 1, -0.5f, -1, -2 });
        using var cb = Codebook.FromWeights(w, 2);
        Assert.Equal(new SignVote(true, true, false, true, true), cb.Vote);
        Assert.Equal(-1, cb.MinLevel);
        Assert.Equal(2, cb.MaxLevel);
        using var cb4 = Codebook.FromWeights(w, 4);
        Assert.Equal(-7, cb4.MinLevel);
        Assert.Equal(8, cb4.MaxLevel);
        Assert.Equal((double)(float)(2.996 / 7), cb4.Step);
        Assert.Equal((float)(8 * (double)(float)(2.996 / 7)), cb4.ValueOf(8));
    }

    [Fact]
    public void SymmetricTensorVotesNegativeBecauseTestsAreStrict()
    {
        // Every statistic ties (and the std of a single entry is NaN): all five points go to NEG.
        using var w = torch.tensor(new float[] { -1, 1 });
        using var cb = Codebook.FromWeights(w, 3);
        Assert.Equal(0, cb.Vote!.Positive);
        Assert.Equal(-4, cb.MinLevel);
        Assert.Equal(3, cb.MaxLevel);
    }

    [Fact]
    public void NonNegativeTensorGetsUnsignedGridUnlessOptedOut()
    {
        // |w| = [0, 1, 2, 3]: p99.9 = 2 + 0.997 = 2.997. Unsigned b = 2 → D = 3, Δ = 0.999, levels 0…3.
        using var w = torch.tensor(new float[] { 0, 1, 2, 3 });
        using var cb = Codebook.FromWeights(w, 2);
        Assert.True(cb.IsUnsigned);
        Assert.Null(cb.Vote);
        Assert.Equal(0, cb.MinLevel);
        Assert.Equal(3, cb.MaxLevel);
        Assert.Equal((double)(float)0.999, cb.Step);

        // Opted out: signed, D = 1, Δ = 2.997. Votes: |3| > 0 yes; mean+ 2 > NaN no; 3 > 0 yes; 6 > 0 yes;
        // std+ 1 > NaN no → POS 3 → levels −1…2.
        using var signed = Codebook.FromWeights(w, 2, new CodebookOptions { UnsignedSupport = false });
        Assert.False(signed.IsUnsigned);
        Assert.Equal(new SignVote(true, false, true, true, false), signed.Vote);
        Assert.Equal(-1, signed.MinLevel);
        Assert.Equal((double)(float)2.997, signed.Step);
    }

    [Fact]
    public void OneBitIsAllowedOnlyForUnsignedTensors()
    {
        using var u = torch.tensor(new float[] { 0, 0.5f, 1 });
        using var cb = Codebook.FromWeights(u, 1);
        // |w| = [0, 0.5, 1]: h = 2·0.999 = 1.998 → 1 − 0.5·0.002 = 0.999; unsigned b = 1 → D = 1, levels {0, 1}.
        Assert.Equal(0f, cb.CentroidValues[0]);
        Assert.Equal(0.999, cb.CentroidValues[1], 1e-6);

        using var s = torch.tensor(new float[] { -1, 0.5f, 1 });
        var e = Assert.Throws<ArgumentException>(() => Codebook.FromWeights(s, 1, name: "layer1.0.conv1.weight"));
        Assert.Contains("layer1.0.conv1.weight", e.Message);
        Assert.Contains("≥ 2", e.Message);
    }

    [Fact]
    public void ZeroPercentileFallsBackToMaxOverD()
    {
        // 10,000 zeros and two non-zeros: the 99.9th percentile of |W| is 0 → Δ = max|W|/D.
        var v = new float[10_002];
        v[17] = 5f;
        v[18] = 1f;
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, 4);
        Assert.True(cb.UsedMaxFallback);
        Assert.Equal(0.0, cb.PercentileValue);
        Assert.Equal((double)(float)(5.0 / 15), cb.Step); // unsigned: D = 15

        v[18] = -1f;
        using var w2 = torch.tensor(v);
        using var cb2 = Codebook.FromWeights(w2, 4);
        Assert.Equal((double)(float)(5.0 / 7), cb2.Step); // signed: D = 7
    }

    [Fact]
    public void AllZeroTensorGivesDegenerateCodebook()
    {
        using var w = torch.zeros(3, 3);
        using var cb = Codebook.FromWeights(w, 4);
        Assert.True(cb.IsDegenerate);
        Assert.All(cb.CentroidValues, c => Assert.Equal(0f, c));
    }

    [Fact]
    public void Float64AndFloat32WeightsGiveTheSameCodebook()
    {
        var v = QuantTestData.Weights(5000, seed: 3, skew: 0.5);
        using var w32 = torch.tensor(v);
        using var w64 = w32.to_type(torch.ScalarType.Float64);
        using var a = Codebook.FromWeights(w32, 4);
        using var b = Codebook.FromWeights(w64, 4);
        Assert.Equal(a.Step, b.Step);
        Assert.Equal(a.MinLevel, b.MinLevel);
        Assert.Equal(a.Vote, b.Vote);
    }

    [Fact]
    public void PercentileWorksAboveTorchQuantileSizeLimit()
    {
        // torch.quantile refuses inputs above 16M elements; the codebook must not. The values n−1, …, 1, 0
        // (descending, float64 so they are exact) have sorted x[i] = i, so the linear percentile is h = (n−1)·q.
        long n = (1L << 24) + 5;
        using var w = torch.arange(n - 1, -1, -1, torch.ScalarType.Float64);
        double h = (n - 1) * 0.999;
        Assert.Equal(h, Codebook.NumpyLinearPercentile(w, 99.9), 1e-6);
        using var cb = Codebook.FromWeights(w, 8);
        Assert.Equal((double)(float)(h / 255), cb.Step);
    }

    [Property(MaxTest = 40)]
    public bool CodebookMatchesScalarReference(int seed, byte bitsRaw, bool skewed)
    {
        int bits = 2 + bitsRaw % 7;
        int n = 1 + Math.Abs(seed % 3000);
        var v = QuantTestData.Weights(n, seed, skew: skewed ? 0.7 : 0);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        var s = ScalarEcqReference.Codebook(v, bits);
        return cb.Step == s.Step && cb.MinLevel == s.MinLevel && cb.CentroidValues.SequenceEqual(s.Centroids)
               && (cb.Vote is null ? s.MinLevel == 0 : cb.Vote.Positive == s.PositiveVotes)
               && Math.Abs(cb.PercentileValue - s.Percentile) <= 1e-15 * Math.Max(1, s.Percentile);
    }

    [Property(MaxTest = 40)]
    public bool CentroidsAreFloat32MultiplesOfTheStepAndIncludeZero(int seed, byte bitsRaw)
    {
        int bits = 1 + bitsRaw % 8;
        var v = QuantTestData.Weights(200, seed);
        if (bits == 1) v = v.Select(Math.Abs).ToArray();
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        bool ok = cb.Count == 1 << bits && cb.CentroidValues[cb.ZeroIndex] == 0f && (double)(float)cb.Step == cb.Step;
        for (int level = cb.MinLevel; level <= cb.MaxLevel; level++)
            ok &= cb.ValueOf(level) == (float)(level * cb.Step);
        for (int i = 1; i < cb.Count; i++) ok &= cb.CentroidValues[i] > cb.CentroidValues[i - 1];
        return ok;
    }

    [Property(MaxTest = 40)]
    public bool HoldsExactlyTheCentroids(int seed, byte bitsRaw, bool asDouble)
    {
        // Every centroid (in float32 or float64) is held; one ulp off any of them, an off-grid value, or a value past
        // the last level is not.
        int bits = 1 + bitsRaw % 8;
        var v = QuantTestData.Weights(300, seed);
        if (bits == 1) v = v.Select(Math.Abs).ToArray();
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        var type = asDouble ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
        using var all = torch.tensor(cb.CentroidValues.ToArray()).to_type(type);
        bool ok = cb.Holds(all);
        for (int i = 0; i < cb.Count; i++)
        {
            float c = cb.CentroidValues[i];
            if (c == 0) continue;
            using var off = all.clone();
            off[i] = torch.tensor(asDouble ? Math.BitIncrement(c) : MathF.BitIncrement(c)).to_type(type);
            ok &= !cb.Holds(off);
        }
        using var beyond = torch.tensor(new[] { (float)((cb.MaxLevel + 1) * cb.Step) }).to_type(type);
        using var between = torch.tensor(new[] { (float)(0.5 * cb.Step) }).to_type(type);
        return ok && !cb.Holds(beyond) && !cb.Holds(between);
    }

    [Fact]
    public void ADegenerateCodebookHoldsOnlyZero()
    {
        using var zeros = torch.zeros(5);
        using var cb = Codebook.FromWeights(zeros, 4);
        Assert.True(cb.IsDegenerate);
        Assert.True(cb.Holds(zeros));
        using var one = torch.tensor(new[] { 0f, 1e-30f });
        Assert.False(cb.Holds(one));
        using var ints = torch.zeros(3, torch.ScalarType.Int32);
        using var ok = Codebook.FromWeights(torch.tensor(QuantTestData.Weights(50, 1)), 4);
        Assert.False(ok.Holds(ints)); // integer tensors are not quantized weights
    }

    [Fact]
    public void ExplicitCodebookValidatesItsParameters()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Codebook(4, 0.1, 1));      // 0 not a level
        Assert.Throws<ArgumentOutOfRangeException>(() => new Codebook(4, 0.1, -16));    // −16…−1
        Assert.Throws<ArgumentOutOfRangeException>(() => new Codebook(4, double.NaN, -8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Codebook(9, 0.1, -8));
        using var ok = new Codebook(3, 0.25, -4);
        Assert.Equal(new[] { -1f, -0.75f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.75f }, ok.CentroidValues);
        Assert.Throws<ArgumentOutOfRangeException>(() => ok.ValueOf(4));
    }
}
