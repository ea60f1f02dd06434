using ECQx.Quantization;
using FsCheck;
using FsCheck.Xunit;
using Xunit;
using TorchSharp;

namespace ECQx.Tests.Quantization;

/// <summary>FsCheck properties of the vectorized quantizer over random (seeded) tensors.</summary>
public class EcqPropertyTests
{
    private static readonly double[] Lambdas = { 0.01, 0.05, 0.2, 1, 4 };

    public EcqPropertyTests() => TorchRuntime.EnsureLoaded();

    private static float[] RandomWeights(int seed, int maxN = 3000)
    {
        var rng = new Random(seed);
        int n = 1 + rng.Next(maxN);
        var w = QuantTestData.Weights(n, seed, sigma: 0.01 + rng.NextDouble(), skew: rng.NextDouble() < 0.5 ? 0.8 : 0);
        if (rng.NextDouble() < 0.2) // exact grid-ish values and duplicates provoke ties
            for (int i = 0; i < n; i += 3) w[i] = MathF.Round(w[i] * 8) / 8;
        return w;
    }

    [Property(MaxTest = 30)]
    public bool LambdaZeroEqualsNearestCentroid(int seed, byte bitsRaw)
    {
        int bits = 2 + bitsRaw % 7;
        var v = RandomWeights(seed);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        // Shift the weights so some fall outside the grid and some land on midpoints.
        var shifted = v.Select((x, i) => i % 7 == 0 ? x * 3 : i % 11 == 0 ? (float)(cb.Step * (i % 5 - 2 + 0.5)) : x).ToArray();
        using var ws = torch.tensor(shifted);
        using var q = EntropyConstrainedQuantizer.Assign(ws, cb, EcqOptions.Default with { Lambda = 0 }, shifted.Length);
        var c = cb.CentroidValues.ToArray();
        var levels = QuantTestData.Levels(q);
        for (int i = 0; i < shifted.Length; i++)
            if (levels[i] != ScalarEcqReference.Nearest(c, shifted[i]) + cb.MinLevel) return false;
        return true;
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.05, false)]
    [InlineData(0.05, true)]
    public void WeightsAFewSubnormalStepsApartAreAssignedToNearestCentroids(double lambda, bool withRelevance)
    {
        // Float32 weights k·2⁻¹⁴⁹: a codebook step that is itself subnormal, and a range too narrow for the search's cell
        // grid (1/cell-width overflows float32). The assignment must still be exact, not an indexing error.
        var v = Enumerable.Range(0, 400).Select(i => BitConverter.Int32BitsToSingle((i * 37) % 29) * (i % 3 == 0 ? -1 : 1)).ToArray();
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, 4);
        using var relevance = withRelevance ? torch.rand(v.Length, generator: new torch.Generator(3)) : null;
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = lambda }, v.Length, relevance: relevance);
        var c = cb.CentroidValues.ToArray();
        var levels = QuantTestData.Levels(q);
        Assert.Equal(v.Length, q.Stats.Histogram.Sum());
        if (lambda == 0)
            for (int i = 0; i < v.Length; i++) Assert.Equal(ScalarEcqReference.Nearest(c, v[i]) + cb.MinLevel, levels[i]);
        else
            Assert.All(levels, l => Assert.InRange(l, cb.MinLevel, cb.MaxLevel));
        Assert.Equal(withRelevance, q.Ecqx is not null);
    }

    [Property(MaxTest = 25)]
    public bool SparsityIsNonDecreasingInLambda(int seed, byte bitsRaw, bool thesis)
    {
        int bits = 2 + bitsRaw % 5;
        var v = RandomWeights(seed);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        long previous = -1;
        foreach (double lambda in new[] { 0.0 }.Concat(Lambdas))
        {
            var o = EcqOptions.Default with { Lambda = lambda, LambdaMaxVariant = thesis ? LambdaMaxVariant.Thesis : LambdaMaxVariant.ReferenceCode };
            using var q = EntropyConstrainedQuantizer.Assign(w, cb, o, v.Length * 2L);
            if (q.Stats.ZeroCount < previous) return false;
            previous = q.Stats.ZeroCount;
        }
        return true;
    }

    [Property(MaxTest = 25)]
    public bool EveryValueIsTheCentroidOfItsLevel(int seed, byte bitsRaw, byte lambdaIdx)
    {
        int bits = 2 + bitsRaw % 7;
        var v = RandomWeights(seed);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = Lambdas[lambdaIdx % Lambdas.Length] }, v.Length);
        var levels = QuantTestData.Levels(q);
        var values = q.Values.data<float>().ToArray();
        long[] hist = new long[cb.Count];
        for (int i = 0; i < v.Length; i++)
        {
            if (levels[i] < cb.MinLevel || levels[i] > cb.MaxLevel || values[i] != cb.ValueOf((int)levels[i])) return false;
            hist[levels[i] - cb.MinLevel]++;
        }
        return hist.SequenceEqual(q.Stats.Histogram) && q.Stats.Histogram.Sum() == v.Length
               && Math.Abs(q.Stats.Sparsity - values.Count(x => x == 0) / (double)v.Length) < 1e-15;
    }

    [Property(MaxTest = 20)]
    public bool OutputHasInputShapeAndDtype(int seed, byte rankRaw, byte dtypeRaw)
    {
        var rng = new Random(seed);
        int rank = 1 + rankRaw % 4;
        var shape = Enumerable.Range(0, rank).Select(_ => (long)(1 + rng.Next(6))).ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var dtype = new[] { torch.ScalarType.Float32, torch.ScalarType.Float64, torch.ScalarType.Float16, torch.ScalarType.BFloat16 }[dtypeRaw % 4];
        var v = QuantTestData.Weights((int)n, seed);
        v[0] = 0; // tiny tensors otherwise may have no weight nearest zero (a documented error)
        using var w = torch.tensor(v).reshape(shape).to_type(dtype);
        using var cb = Codebook.FromWeights(w, 4);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0.02 }, n);
        return q.Values.shape.SequenceEqual(shape) && q.Levels.shape.SequenceEqual(shape)
               && q.Values.dtype == dtype && q.Levels.dtype == torch.ScalarType.Int64;
    }

    [Property(MaxTest = 25)]
    public bool Float32EqualsFloat64Computation(int seed, byte bitsRaw, byte lambdaIdx)
    {
        int bits = 2 + bitsRaw % 7;
        var v = RandomWeights(seed);
        using var w32 = torch.tensor(v);
        using var w64 = w32.to_type(torch.ScalarType.Float64);
        using var cb = Codebook.FromWeights(w32, bits);
        var o = EcqOptions.Default with { Lambda = Lambdas[lambdaIdx % Lambdas.Length] };
        using var a = EntropyConstrainedQuantizer.Assign(w32, cb, o, v.Length);
        using var b = EntropyConstrainedQuantizer.Assign(w64, cb, o, v.Length);
        using var av = a.Values.to_type(torch.ScalarType.Float64);
        return QuantTestData.Same(a.Levels, b.Levels) && QuantTestData.Same(av, b.Values) && a.Stats.Ecq?.EffectiveLambda == b.Stats.Ecq?.EffectiveLambda;
    }

    [Property(MaxTest = 30)]
    public bool VectorizedMatchesScalarReference(int seed, byte bitsRaw, byte lambdaIdx, bool exactPmf, bool thesis)
    {
        int bits = 2 + bitsRaw % 5;
        var v = RandomWeights(seed, 2000);
        using var w = torch.tensor(v);
        using var cb = Codebook.FromWeights(w, bits);
        var sc = ScalarEcqReference.Codebook(v, bits);
        double lambda = Lambdas[lambdaIdx % Lambdas.Length];
        var o = new EcqOptions
        {
            Lambda = lambda,
            PmfBias = exactPmf ? PmfBias.ExactRenormalisation : PmfBias.ReferenceSequential,
            LambdaMaxVariant = thesis ? LambdaMaxVariant.Thesis : LambdaMaxVariant.ReferenceCode,
        };
        long nMax = v.Length + seed % 500 + 500;
        ScalarEcqResult r;
        try { r = ScalarEcqReference.Ecq(v, sc, lambda, nMax, !exactPmf, !thesis); }
        catch (InvalidOperationException)
        {
            // No weight nearest zero: the vectorized path must refuse too.
            try { EntropyConstrainedQuantizer.Assign(w, cb, o, nMax).Dispose(); return false; }
            catch (InvalidDataException) { return true; }
        }
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, o, nMax);
        var d = q.Stats.Ecq!;
        if (!d.NearestCounts.SequenceEqual(r.Counts)) return false;
        if (Math.Abs(d.EffectiveLambda - r.EffectiveLambda) > 1e-12 * Math.Max(1, r.EffectiveLambda)) return false;
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        QuantTestData.AssertEqualUpToTies(r.Assignment, actual, (i, k) => ScalarEcqReference.Cost(sc, r, k, v[i]), "property");
        return true;
    }

    [Property(MaxTest = 12)]
    public bool EcqxMatchesScalarReference(int seed, byte bitsRaw, bool small)
    {
        int bits = 2 + bitsRaw % 4;
        var v = RandomWeights(seed, 1500);
        var rel = QuantTestData.Relevance(v.Length, seed + 1).Select(x => (double)x).ToArray();
        using var w = torch.tensor(v);
        using var rt = torch.tensor(rel);
        using var cb = Codebook.FromWeights(w, bits);
        var sc = ScalarEcqReference.Codebook(v, bits);
        var o = EcqOptions.Default with { Lambda = small ? 0.05 : 1 };
        ScalarEcqResult r;
        try { r = ScalarEcqReference.Ecq(v, sc, o.Lambda, v.Length); }
        catch (InvalidOperationException) { return true; } // covered by VectorizedMatchesScalarReference
        var sx = ScalarEcqReference.Ecqx(v, rel, sc, r);
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, o, v.Length, "p", rt);
        var e = q.Ecqx!;
        if (sx.Ran != (e.Skipped == EcqxSkipReason.None)) return false;
        if (sx.Ran && (e.Iterations != sx.Iterations || Math.Abs(e.Beta - sx.Beta) > 1e-12 * sx.Beta
                       || Math.Abs(e.InitialBeta - sx.InitialBeta) > 1e-12 * sx.InitialBeta)) return false;
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        double maxAbs = rel.Max(Math.Abs);
        var rtil = rel.Select(x => Math.Abs(x) / (maxAbs + 1e-12)).ToArray();
        QuantTestData.AssertEqualUpToTies(sx.Assignment, actual, (i, k) =>
            ScalarEcqReference.Cost(sc, r, k, v[i]) * (k == sc.ZeroIndex && sx.Ran ? 2 * Math.Pow(rtil[i] + 1e-12, sx.Beta) : 1), "ecqx property");
        return true;
    }

    /// <summary>
    /// A layer of several β-evaluation chunks (and a ragged last one) against the scalar reference, in float32 and float64:
    /// the chunked search must count, stop and assign as one pass over the whole layer does.
    /// </summary>
    [Theory]
    [InlineData(4, false)]
    [InlineData(3, true)]
    public void EcqxAcrossSeveralChunksMatchesScalarReference(int bits, bool float64)
    {
        int n = (int)(2.5 * RelevanceCorrection.ChunkElements) + 7;
        var v = QuantTestData.Weights(n, 11, sigma: 0.05, skew: 0);
        var rel = QuantTestData.Relevance(n, 12).Select(x => (double)x).ToArray();
        using var w32 = torch.tensor(v);
        using var w = float64 ? w32.to_type(torch.ScalarType.Float64) : w32.alias();
        using var rt = torch.tensor(rel);
        using var cb = Codebook.FromWeights(w32, bits);
        var sc = ScalarEcqReference.Codebook(v, bits);
        var o = EcqOptions.Default with { Lambda = 0.2 };
        var r = ScalarEcqReference.Ecq(v, sc, o.Lambda, n);
        var sx = ScalarEcqReference.Ecqx(v, rel, sc, r);
        Assert.True(sx.Ran && sx.Iterations > 1, $"the scalar search should run several evaluations (ran {sx.Ran}, {sx.Iterations})");
        using var q = EntropyConstrainedQuantizer.Assign(w, cb, o, n, "chunks", rt);
        var e = q.Ecqx!;
        Assert.Equal(EcqxSkipReason.None, e.Skipped);
        Assert.Equal(sx.Iterations, e.Iterations);
        Assert.Equal(sx.Beta, e.Beta, 12);
        Assert.Equal(sx.EcqxSparsity, e.EcqxSparsity, 12);
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        double maxAbs = rel.Max(Math.Abs);
        var rtil = rel.Select(x => Math.Abs(x) / (maxAbs + 1e-12)).ToArray();
        QuantTestData.AssertEqualUpToTies(sx.Assignment, actual, (i, k) =>
            ScalarEcqReference.Cost(sc, r, k, v[i]) * (k == sc.ZeroIndex ? 2 * Math.Pow(rtil[i] + 1e-12, sx.Beta) : 1), "ecqx chunks");
    }
}
