namespace ECQx.Quantization;

/// <summary>One side of λ_max and whether it could be used.</summary>
/// <param name="Value">The side's λ value, or <c>null</c> when the side was skipped.</param>
/// <param name="SkipReason">Why the side was skipped (null when it was used).</param>
public readonly record struct LambdaMaxSide(double? Value, string? SkipReason);

/// <summary>λ_max of a layer (spec §a.4 step 5).</summary>
/// <param name="Value">λ*: the max (reference) or min (thesis) of the usable sides; 0 when neither side is usable.</param>
/// <param name="Negative">The negative side Λn.</param>
/// <param name="Positive">The positive side Λp.</param>
public readonly record struct LambdaMaxResult(double Value, LambdaMaxSide Negative, LambdaMaxSide Positive)
{
    /// <summary>A human-readable note when a side was skipped (null when both sides were used).</summary>
    public string? Note =>
        Negative.SkipReason is null && Positive.SkipReason is null ? null
        : string.Join("; ", new[] { Negative.SkipReason is null ? null : "negative side: " + Negative.SkipReason,
                                    Positive.SkipReason is null ? null : "positive side: " + Positive.SkipReason }
                                   .Where(s => s is not null)) + (Negative.Value is null && Positive.Value is null ? "; λ* = 0 (nearest-centroid assignment)" : "");
}

/// <summary>
/// The small host-side formulas of ECQ (spec §a.4 steps 3–7). They work on per-cluster arrays (at most 256
/// entries), in double precision; the per-weight work is done by <see cref="EntropyConstrainedQuantizer"/>.
/// </summary>
public static class EcqMath
{
    /// <summary>The minimum probability the biased PMF gives the zero cluster (the reference's <c>spars_bound</c>).</summary>
    public const double ZeroClusterFloor = 0.5;

    /// <summary>
    /// The preliminary PMF from nearest-centroid counts, with the zero-cluster bias of spec §a.4 step 3.
    /// Unoccupied clusters get 0. The counts must include at least one weight in the zero cluster.
    /// </summary>
    /// <param name="counts">Number of weights nearest to each centroid, by centroid index (ascending value).</param>
    /// <param name="zeroIndex">Index of the zero centroid.</param>
    /// <param name="bias">Which bias variant.</param>
    public static double[] Pmf(IReadOnlyList<long> counts, int zeroIndex, PmfBias bias)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (zeroIndex < 0 || zeroIndex >= counts.Count)
            throw new ArgumentOutOfRangeException(nameof(zeroIndex), zeroIndex, $"Zero index must be in [0, {counts.Count}).");
        long n = 0;
        foreach (long c in counts)
        {
            if (c < 0) throw new ArgumentException("Cluster counts must be ≥ 0.", nameof(counts));
            n += c;
        }
        if (counts[zeroIndex] == 0)
            throw new ArgumentException("No weight is nearest to the zero centroid; the biased PMF is undefined.", nameof(counts));

        var p = new double[counts.Count];
        for (int k = 0; k < p.Length; k++) p[k] = counts[k] / (double)n;
        if (bias == PmfBias.None || p[zeroIndex] >= ZeroClusterFloor) return p;

        // S: sum of the original non-zero-cluster probabilities, in ascending cluster order (as the reference sums).
        double s = 0;
        for (int k = 0; k < p.Length; k++)
            if (k != zeroIndex && counts[k] > 0) s += p[k];

        if (bias == PmfBias.ExactRenormalisation)
        {
            for (int k = 0; k < p.Length; k++)
                if (k != zeroIndex) p[k] = p[k] * (1 - ZeroClusterFloor) / s;
        }
        else
        {
            // The reference's loop: P_j ← P_j − (P_j/S)(0.5 − P_k0) for every occupied j in ascending order,
            // including k0 itself, with the *current* P_k0 (it changes when j reaches k0).
            for (int j = 0; j < p.Length; j++)
                if (counts[j] > 0) p[j] -= p[j] / s * (ZeroClusterFloor - p[zeroIndex]);
        }
        p[zeroIndex] = ZeroClusterFloor;
        return p;
    }

    /// <summary>Information content <c>I_k = −log2 P_k</c>; +∞ for empty clusters (spec §a.4 step 4).</summary>
    public static double[] InformationContent(IReadOnlyList<double> pmf)
    {
        ArgumentNullException.ThrowIfNull(pmf);
        var info = new double[pmf.Count];
        for (int k = 0; k < info.Length; k++) info[k] = pmf[k] > 0 ? -Math.Log2(pmf[k]) : double.PositiveInfinity;
        return info;
    }

    /// <summary>
    /// λ_max (spec §a.4 step 5) from the extreme occupied clusters <c>k−, k+</c> of the nearest-centroid
    /// assignment and the extreme weights <c>w− = min W</c>, <c>w+ = max W</c>.
    /// <para>
    /// Degenerate sides: the reference divides by zero when an extreme occupied cluster is the zero cluster (always
    /// the case on the negative side of an unsigned grid) or when its information equals the zero cluster's. Here
    /// such a side is skipped (it cannot collapse into zero) and λ* comes from the other side; when neither side
    /// is usable λ* = 0, which makes the ECQ step a nearest-centroid assignment. The reason is reported.
    /// </para>
    /// </summary>
    public static LambdaMaxResult LambdaMax(
        LambdaMaxVariant variant, int zeroIndex,
        int kMinus, double cMinus, double wMin, double infoMinus,
        int kPlus, double cPlus, double wMax, double infoPlus,
        double infoZero)
    {
        var neg = Side(variant, kMinus == zeroIndex, cMinus, wMin, infoMinus, infoZero);
        var pos = Side(variant, kPlus == zeroIndex, cPlus, wMax, infoPlus, infoZero);
        double value;
        if (neg.Value is double n && pos.Value is double p)
            value = variant == LambdaMaxVariant.ReferenceCode ? Math.Max(n, p) : Math.Min(n, p);
        else
            value = neg.Value ?? pos.Value ?? 0.0;
        return new LambdaMaxResult(value, neg, pos);
    }

    private static LambdaMaxSide Side(LambdaMaxVariant variant, bool extremeIsZero, double c, double w, double info, double infoZero)
    {
        if (extremeIsZero)
            return new LambdaMaxSide(null, "the extreme occupied cluster is the zero cluster (the reference divides by zero here)");
        double den = info - infoZero;
        if (!(den > 0))
            return new LambdaMaxSide(null, $"I_extreme − I_zero = {den:R} ≤ 0 (the reference divides by zero or flips sign here)");
        double num = variant == LambdaMaxVariant.ReferenceCode
            ? Square(Square(c - w) + w)
            : w * w - Square(w - c);
        double v = num / den;
        if (!double.IsFinite(v) || v < 0)
            return new LambdaMaxSide(null, $"λ = {v:R} is not a finite number ≥ 0");
        return new LambdaMaxSide(v, null);
    }

    /// <summary>Layer decay <c>δ = (n/n_max + ς)/(1 + ς)</c> (spec §a.4 step 6).</summary>
    public static double LayerDecay(long n, long nMax, double sustain)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Layer size must be > 0.");
        if (nMax < n) throw new ArgumentOutOfRangeException(nameof(nMax), nMax, $"n_max ({nMax}) must be ≥ the layer size ({n}).");
        return (n / (double)nMax + sustain) / (1 + sustain);
    }

    /// <summary>Shannon entropy in bits of a histogram (empty bins ignored); 0 for an empty histogram.</summary>
    public static double EntropyBits(IReadOnlyList<long> histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        long n = 0;
        foreach (long h in histogram) n += h;
        if (n == 0) return 0;
        double e = 0;
        foreach (long h in histogram)
            if (h > 0)
            {
                double p = h / (double)n;
                e -= p * Math.Log2(p);
            }
        return e;
    }

    private static double Square(double x) => x * x;
}
