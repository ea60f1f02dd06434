namespace ECQx.XaiCompression;

/// <summary>A layer for <see cref="BitAllocation"/>: its weight count and aggregate relevance.</summary>
/// <param name="Name">Weight name.</param>
/// <param name="Count">n_l, number of weights (≥ 1).</param>
/// <param name="Relevance">S_l ≥ 0, the layer's aggregate relevance (sum of its calibrated weight scores).</param>
public sealed record LayerBitInput(string Name, long Count, double Relevance);

/// <summary>The chosen bit widths.</summary>
/// <param name="Bits">Bits per layer (same order as the input).</param>
/// <param name="TotalBits">Σ n_l·b_l.</param>
/// <param name="BudgetBits">⌊B·N⌋, the budget in bits.</param>
/// <param name="Exact">True when the allocation provably uses the largest attainable total ≤ the budget (false only after coarsening a very large problem).</param>
public sealed record BitAllocationResult(IReadOnlyList<int> Bits, long TotalBits, long BudgetBits, bool Exact)
{
    /// <summary>Average bits per weight, Σ n_l·b_l / N.</summary>
    public double AverageBits(IReadOnlyList<LayerBitInput> layers) => (double)TotalBits / layers.Sum(l => l.Count);
}

/// <summary>
/// Integer per-layer bit-width allocation under an average-bits budget (spec §f item 3; this package's rule).
/// <para>
/// <b>Definition.</b> With N = Σ n_l weights and budget B bits/weight, the budget is <c>⌊B·N⌋</c> bits. Bits are
/// integers in [min, max]. Among all allocations, take those whose total <c>Σ n_l·b_l</c> is the <b>largest
/// attainable value not exceeding the budget</b> (so the budget is met exactly whenever some allocation hits it);
/// among those, maximise the relevance-weighted precision <c>Σ_l S̄_l·(1 − 4^{−b_l})</c> with
/// <c>S̄_l = S_l/ΣS</c> (the relevance mass times the fraction of a uniform quantizer's error variance removed, which
/// falls as 4^{−b}). Consequence (tested): of two layers with equal size, the strictly more relevant one never gets
/// fewer bits (swapping would keep the cost and raise the value).
/// </para>
/// <para>
/// <b>Solver.</b> An exact dynamic programme over the extra bits above the minimum, in units of g = gcd(n_l):
/// O(L·C·(max − min)) with C = (⌊B·N⌋ − min·N)/g states. Above <see cref="MaxStates"/> states the costs are
/// coarsened (rounded up to a multiple), which still never exceeds the budget but may leave up to one coarse unit
/// unused (<see cref="BitAllocationResult.Exact"/> = false).
/// </para>
/// <para>
/// <b>Uniform baseline</b> (<see cref="Uniform"/>): the same rule with every weight equally relevant (<c>S_l = n_l</c>). Its
/// bits are as even as the budget allows (B bits everywhere at an integer budget B), and since the total spent does not
/// depend on the relevance, it spends exactly the bits a relevance-guided allocation spends: the comparison is at a matched
/// budget (tested).
/// </para>
/// </summary>
public static class BitAllocation
{
    /// <summary>Largest number of DP cost states before coarsening.</summary>
    public const long MaxStates = 4_000_000;

    /// <summary>Relevance-guided allocation (see the type's remarks).</summary>
    public static BitAllocationResult Allocate(IReadOnlyList<LayerBitInput> layers, double budget, int minBits = 2, int maxBits = 8)
    {
        Check(layers, budget, minBits, maxBits);
        long n = layers.Sum(l => l.Count);
        long cap = (long)Math.Floor(budget * n + 1e-9);
        if ((long)minBits * n > cap)
            throw new ArgumentException($"budget {budget} bits/weight is below the minimum {minBits} bits of every layer");
        int L = layers.Count, X = maxBits - minBits;
        double totalS = layers.Sum(l => l.Relevance);
        double[] s = layers.Select(l => totalS > 0 ? l.Relevance / totalS : 1.0 / L).ToArray();
        long extra = Math.Min(cap - (long)minBits * n, (long)X * n);
        long g = layers.Select(l => l.Count).Aggregate(Gcd);
        long[] unitCost = layers.Select(l => l.Count / g).ToArray();
        long states = extra / g;
        bool exact = true;
        if (states > MaxStates)
        {
            long f = (states + MaxStates - 1) / MaxStates;
            g *= f;
            unitCost = layers.Select(l => (l.Count + g - 1) / g).ToArray();
            states = extra / g;
            exact = false;
        }
        int C = (int)states;
        var best = new double[C + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        var choice = new byte[L][];
        for (int l = 0; l < L; l++)
        {
            var next = new double[C + 1];
            Array.Fill(next, double.NegativeInfinity);
            var ch = new byte[C + 1];
            for (int x = 0; x <= X; x++)
            {
                long cost = unitCost[l] * x;
                if (cost > C) break;
                double val = s[l] * (1 - Math.Pow(4, -(minBits + x)));
                for (long c = cost; c <= C; c++)
                {
                    double prev = best[c - cost];
                    if (double.IsNegativeInfinity(prev)) continue;
                    double v = prev + val;
                    if (v > next[c]) { next[c] = v; ch[c] = (byte)x; }
                }
            }
            best = next;
            choice[l] = ch;
        }
        int cStar = C;
        while (cStar > 0 && double.IsNegativeInfinity(best[cStar])) cStar--;
        var bits = new int[L];
        long rem = cStar;
        for (int l = L - 1; l >= 0; l--)
        {
            int x = choice[l][rem];
            bits[l] = minBits + x;
            rem -= unitCost[l] * x;
        }
        long total = layers.Select((l, i) => l.Count * bits[i]).Sum();
        return new BitAllocationResult(bits, total, cap, exact);
    }

    /// <summary>
    /// The uniform baseline at the same budget: <see cref="Allocate"/> with every weight equally relevant (layer relevance ∝ its
    /// size), so the bits are as even as the budget allows and the total equals a relevance-guided allocation's.
    /// </summary>
    public static BitAllocationResult Uniform(IReadOnlyList<LayerBitInput> layers, double budget, int minBits = 2, int maxBits = 8)
    {
        Check(layers, budget, minBits, maxBits);
        return Allocate(layers.Select(l => l with { Relevance = l.Count }).ToList(), budget, minBits, maxBits);
    }

    /// <summary>
    /// One layer's bit step in average bits: <c>max_l n_l / N</c>, the most one bit of one layer moves the average. Every
    /// allocation of <see cref="Allocate"/> spends within one step below the budget when the budget is at most the largest
    /// bit width (tested).
    /// </summary>
    public static double LayerStep(IReadOnlyList<LayerBitInput> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("no layers");
        return (double)layers.Max(l => l.Count) / layers.Sum(l => l.Count);
    }

    private static void Check(IReadOnlyList<LayerBitInput> layers, double budget, int minBits, int maxBits)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("no layers to allocate bits to");
        if (minBits < 2 || maxBits > 16 || minBits > maxBits) throw new ArgumentException($"bit range [{minBits}, {maxBits}] must satisfy 2 ≤ min ≤ max ≤ 16 (symmetric integer grids need ≥ 2 bits)");
        if (!(budget > 0) || double.IsInfinity(budget)) throw new ArgumentException($"budget must be a positive number of bits per weight (got {budget})");
        foreach (var l in layers)
        {
            if (l.Count < 1) throw new ArgumentException($"layer '{l.Name}' has {l.Count} weights");
            if (!(l.Relevance >= 0) || double.IsInfinity(l.Relevance)) throw new ArgumentException($"layer '{l.Name}' has relevance {l.Relevance}; it must be finite and ≥ 0");
        }
    }

    private static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a; }
}
