// A slow, obviously-correct scalar implementation of spec §a.3–a.4 (plain loops, double precision, no
// TorchSharp). It is the independent oracle for the vectorized quantizer in the tests, and the baseline of the
// ratio benchmark (this file is linked into tests/ECQx.Benchmarks, not copied).
namespace ECQx.Tests.Quantization;

/// <summary>Scalar codebook: levels MinLevel…MinLevel+2^b−1, centroid = float32(level·Step).</summary>
internal sealed record ScalarCodebook(int Bits, double Step, int MinLevel, float[] Centroids, double Percentile, int PositiveVotes)
{
    public int ZeroIndex => -MinLevel;
}

/// <summary>Every intermediate of one ECQ assignment.</summary>
internal sealed record ScalarEcqResult(
    int[] Nearest, long[] Counts, double[] Pmf, double[] Information, double? LambdaNegative, double? LambdaPositive,
    double LambdaMax, double Decay, double EffectiveLambda, int[] Assignment)
{
    public long ZeroCount(int zeroIndex) => Assignment.LongCount(a => a == zeroIndex);
}

/// <summary>What the scalar ECQx loop did.</summary>
internal sealed record ScalarEcqxResult(int[] Assignment, bool Ran, double InitialBeta, double Beta, double BetaAfter, int Iterations, double EcqSparsity, double EcqxSparsity);

internal static class ScalarEcqReference
{
    // ---- §a.3 codebook ----------------------------------------------------------------------------

    /// <summary>numpy.percentile(|w|, q) with the default linear method, via a full sort.</summary>
    public static double NumpyPercentileOfAbs(float[] w, double q)
    {
        var a = new double[w.Length];
        for (int i = 0; i < w.Length; i++) a[i] = Math.Abs((double)w[i]);
        Array.Sort(a);
        double h = (a.Length - 1) * (q / 100.0);
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, a.Length - 1);
        double t = h - lo;
        double d = a[hi] - a[lo];
        return t >= 0.5 ? a[hi] - d * (1 - t) : a[lo] + d * t;
    }

    public static ScalarCodebook Codebook(float[] w, int bits, bool unsignedSupport = true, double percentile = 99.9)
    {
        bool anyNegative = false;
        double maxAbs = 0;
        foreach (float x in w)
        {
            if (x < 0) anyNegative = true;
            maxAbs = Math.Max(maxAbs, Math.Abs((double)x));
        }
        bool unsigned = unsignedSupport && !anyNegative;
        int d = unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
        double a = NumpyPercentileOfAbs(w, percentile);
        double delta = a / d;
        if (delta == 0) delta = maxAbs / d;
        double step = (float)delta;
        int minLevel;
        int votes = 0;
        if (unsigned) minLevel = 0;
        else
        {
            votes = PositiveVotes(w);
            minLevel = votes > 5 - votes ? -(1 << (bits - 1)) + 1 : -(1 << (bits - 1));
        }
        var c = new float[1 << bits];
        for (int i = 0; i < c.Length; i++) c[i] = (float)((minLevel + i) * step);
        return new ScalarCodebook(bits, step, minLevel, c, a, votes);
    }

    /// <summary>The 5-statistic vote: number of tests that are strictly true for the positive side.</summary>
    public static int PositiveVotes(float[] w)
    {
        var pos = w.Where(x => x > 0).Select(x => (double)x).ToArray();
        var neg = w.Where(x => x < 0).Select(x => -(double)x).ToArray();
        double max = w.Max(), min = w.Min();
        int v = 0;
        if (Math.Abs(max) > Math.Abs(min)) v++;
        if (Mean(pos) > Mean(neg)) v++;
        if (pos.Length > neg.Length) v++;
        if (pos.Sum() > neg.Sum()) v++;
        if (Std(pos) > Std(neg)) v++;
        return v;
    }

    private static double Mean(double[] x) => x.Length == 0 ? double.NaN : x.Sum() / x.Length;

    private static double Std(double[] x)
    {
        if (x.Length < 2) return double.NaN;
        double m = Mean(x), s = 0;
        foreach (double v in x) s += (v - m) * (v - m);
        return Math.Sqrt(s / (x.Length - 1));
    }

    // ---- §a.4 ECQ -----------------------------------------------------------------------------------

    /// <summary>Index of the nearest centroid, ties to the lowest index.</summary>
    public static int Nearest(float[] c, double w)
    {
        int best = 0;
        double bd = Sq(c[0] - w);
        for (int k = 1; k < c.Length; k++)
        {
            double d = Sq(c[k] - w);
            if (d < bd) { bd = d; best = k; }
        }
        return best;
    }

    /// <param name="sequentialQuirk">True: the reference's in-place loop; false: exact renormalisation.</param>
    /// <param name="referenceLambdaMax">True: ((c−w)²+w)²/(ΔI), max; false: (w²−(w−c)²)/(ΔI), min.</param>
    public static ScalarEcqResult Ecq(float[] w, ScalarCodebook cb, double lambda, long nMax,
        bool sequentialQuirk = true, bool referenceLambdaMax = true, double sustain = 0.05)
    {
        int n = w.Length, kk = cb.Centroids.Length, k0 = cb.ZeroIndex;
        var c = cb.Centroids;
        var nearest = new int[n];
        var counts = new long[kk];
        for (int i = 0; i < n; i++)
        {
            nearest[i] = Nearest(c, w[i]);
            counts[nearest[i]]++;
        }
        if (lambda == 0)
            return new ScalarEcqResult(nearest, counts, new double[0], new double[0], null, null, 0, 0, 0, nearest);
        if (counts[k0] == 0) throw new InvalidOperationException("no weight nearest zero");

        // PMF over the occupied clusters only (a compressed list, as the reference's torch.unique does).
        var occ = Enumerable.Range(0, kk).Where(k => counts[k] > 0).ToList();
        var p = occ.Select(k => counts[k] / (double)n).ToArray();
        int z = occ.IndexOf(k0);
        if (p[z] < 0.5)
        {
            double s = 0;
            for (int i = 0; i < p.Length; i++) if (i != z) s += p[i];
            if (sequentialQuirk)
            {
                for (int i = 0; i < p.Length; i++) p[i] -= (p[i] / s) * (0.5 - p[z]);
            }
            else
            {
                for (int i = 0; i < p.Length; i++) if (i != z) p[i] *= 0.5 / s;
            }
            p[z] = 0.5;
        }
        var pmf = new double[kk];
        for (int i = 0; i < occ.Count; i++) pmf[occ[i]] = p[i];
        var info = pmf.Select(x => x > 0 ? -Math.Log2(x) : double.PositiveInfinity).ToArray();

        int kMinus = nearest.Min(), kPlus = nearest.Max();
        double wMin = w.Min(), wMax = w.Max();
        double? ln = Side(kMinus, c[kMinus], wMin), lp = Side(kPlus, c[kPlus], wMax);
        double? Side(int k, double ck, double wx)
        {
            if (k == k0) return null;
            double den = info[k] - info[k0];
            if (!(den > 0)) return null;
            double num = referenceLambdaMax ? Sq(Sq(ck - wx) + wx) : wx * wx - Sq(wx - ck);
            double v = num / den;
            return double.IsFinite(v) && v >= 0 ? v : null;
        }
        double lmax = ln.HasValue && lp.HasValue
            ? (referenceLambdaMax ? Math.Max(ln.Value, lp.Value) : Math.Min(ln.Value, lp.Value))
            : ln ?? lp ?? 0.0;
        double decay = ((double)n / nMax + sustain) / (1 + sustain);
        double lam = lambda * decay * lmax;

        var assignment = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bc = double.PositiveInfinity;
            for (int k = 0; k < kk; k++)
            {
                if (counts[k] == 0) continue; // I = +∞
                double cost = Sq(c[k] - w[i]) + lam * info[k];
                if (best < 0 || cost < bc) { bc = cost; best = k; }
            }
            assignment[i] = best;
        }
        return new ScalarEcqResult(nearest, counts, pmf, info, ln, lp, lmax, decay, lam, assignment);
    }

    /// <summary>The ECQ cost C_{k,i} (+∞ for clusters empty under nearest assignment).</summary>
    public static double Cost(ScalarCodebook cb, ScalarEcqResult r, int k, double w) =>
        r.Counts[k] == 0 ? double.PositiveInfinity : Sq(cb.Centroids[k] - w) + r.EffectiveLambda * r.Information[k];

    // ---- §a.4 step 10 ECQx ----------------------------------------------------------------------------

    public static ScalarEcqxResult Ecqx(float[] w, double[] relevance, ScalarCodebook cb, ScalarEcqResult ecq,
        double rho = 2, double p = 0.1, int maxIterations = 50)
    {
        int n = w.Length, kk = cb.Centroids.Length, k0 = cb.ZeroIndex;
        double sE = ecq.ZeroCount(k0) / (double)n;
        double maxR = relevance.Max(Math.Abs), minR = relevance.Min(Math.Abs);
        double sX = 0;
        if (!(sX > sE || sX < sE - p) || maxR == minR)
            return new ScalarEcqxResult(ecq.Assignment, false, double.NaN, double.NaN, double.NaN, 0, sE, sE);
        var rt = relevance.Select(r => Math.Abs(r) / (maxR + 1e-12)).ToArray();
        double beta0 = Math.Log(0.5) / Math.Log(rt.Average());
        double beta = beta0, used = double.NaN;
        int t = 0, evals = 0;
        var a = ecq.Assignment;
        while (sX > sE || sX < sE - p)
        {
            used = beta;
            a = new int[n];
            long zeros = 0;
            for (int i = 0; i < n; i++)
            {
                double r = Math.Pow(rt[i] + 1e-12, beta);
                int best = -1;
                double bc = double.PositiveInfinity;
                for (int k = 0; k < kk; k++)
                {
                    if (ecq.Counts[k] == 0) continue;
                    double cost = Cost(cb, ecq, k, w[i]);
                    if (k == k0) cost *= rho * r;
                    if (best < 0 || cost < bc) { bc = cost; best = k; }
                }
                a[i] = best;
                if (best == k0) zeros++;
            }
            evals++;
            sX = zeros / (double)n;
            double kappa = t >= 40 ? 0.75 : t >= 20 ? 0.5 : 0.1;
            beta *= 1 + kappa * Math.Sign(sE - sX);
            beta = Math.Min(beta, 1);
            if (t >= maxIterations) break;
            t++;
        }
        return new ScalarEcqxResult(a, true, beta0, used, beta, evals, sE, sX);
    }

    private static double Sq(double x) => x * x;
}
