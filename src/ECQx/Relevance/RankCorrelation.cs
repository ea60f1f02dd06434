using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>
/// Rank agreement of two relevance tensors (e.g. two methods' relevances of one layer): Spearman's ρ computed as the
/// Pearson correlation of <b>average ranks</b>, so ties (zero relevances, equal magnitudes) get the mean of the ranks
/// they span instead of an arbitrary order. Vectorized (sort + binary search), O(n log n), in float64.
/// </summary>
public static class RankCorrelation
{
    /// <summary>
    /// The 1-based average rank of every element of <paramref name="values"/> (flattened): an element with
    /// <c>L</c> smaller and <c>E</c> equal elements (itself included) gets <c>L + (E + 1)/2</c>. Returned as float64 on
    /// the input's device. NaN values are an error.
    /// </summary>
    public static Tensor AverageRanks(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var v = values.detach().flatten().to(float64);
        if (v.isnan().any().item<bool>()) throw new ArgumentException("rank correlation: the values contain NaN", nameof(values));
        var sorted = v.sort().Values;
        var below = searchsorted(sorted, v, right: false).to(float64);        // L: elements smaller than v
        var belowOrEqual = searchsorted(sorted, v, right: true).to(float64);  // L + E
        return ((below + belowOrEqual + 1) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Spearman's rank correlation of <paramref name="a"/> and <paramref name="b"/> (same number of elements, compared
    /// element by element after flattening), with ties given average ranks. 1: the same order, −1: the reverse order,
    /// ≈0: unrelated orders. NaN when either side is constant (all ranks tied: no order to compare).
    /// </summary>
    public static double Spearman(Tensor a, Tensor b)
    {
        CheckPair(a, b);
        using var scope = NewDisposeScope();
        return Pearson(AverageRanks(a), AverageRanks(b));
    }

    /// <summary>
    /// Pearson's correlation of <paramref name="a"/> and <paramref name="b"/> (flattened, in float64). Applied to
    /// <see cref="AverageRanks"/> computed once per tensor, it gives <see cref="Spearman"/> for many pairs without ranking
    /// the same tensor again. NaN when either side is constant.
    /// </summary>
    public static double Pearson(Tensor a, Tensor b)
    {
        CheckPair(a, b);
        using var scope = NewDisposeScope();
        var x = a.detach().flatten().to(float64);
        var y = b.detach().flatten().to(float64).to(x.device);
        x = x - x.mean();
        y = y - y.mean();
        double denominator = Math.Sqrt(x.square().sum().item<double>() * y.square().sum().item<double>());
        return denominator == 0 ? double.NaN : (x * y).sum().item<double>() / denominator;
    }

    private static void CheckPair(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.numel() != b.numel())
            throw new ArgumentException($"rank correlation needs equally many elements (got {a.numel()} and {b.numel()})");
        if (a.numel() < 2) throw new ArgumentException($"rank correlation needs at least two elements (got {a.numel()})");
    }
}
