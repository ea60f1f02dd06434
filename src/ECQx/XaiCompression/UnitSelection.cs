using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>Where the pruning ratio applies.</summary>
public enum PruningScope
{
    /// <summary>One ranking over the units of all layers: the lowest-scored ⌊ratio·total⌉ units are pruned.</summary>
    Global,
    /// <summary>Each layer prunes its own ⌊ratio·n_l⌉ lowest-scored units.</summary>
    Layer,
}

/// <summary>
/// Chooses the units (weights or filters) to prune from their scores: the lowest-scored ones, ties broken by
/// position (a stable sort: earlier layer, then lower index, is pruned first).
/// </summary>
public static class UnitSelection
{
    /// <summary>
    /// Returns, per layer, a boolean tensor (shape of its score vector) that is true for the pruned units.
    /// </summary>
    /// <param name="scores">One 1-D score tensor per layer (higher = more important).</param>
    /// <param name="ratio">Fraction of units to prune, in [0, 1).</param>
    /// <param name="scope">Global ranking or per layer.</param>
    /// <param name="minKeepPerLayer">
    /// Units every layer keeps whatever its scores (1 for filters, so no layer vanishes): in a layer those are
    /// its highest-scored units, which never take part in the ranking. A global ratio that cannot be met then is
    /// an error; per layer the count is capped.
    /// </param>
    /// <returns>The prune masks; exactly <c>round(ratio·total)</c> units (global) or <c>round(ratio·n_l)</c> per layer (capped at n_l − minKeep).</returns>
    public static IReadOnlyList<Tensor> LowestScored(IReadOnlyList<Tensor> scores, double ratio, PruningScope scope, int minKeepPerLayer = 0)
    {
        if (!(ratio >= 0 && ratio < 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "pruning ratio must lie in [0, 1)");
        return Select(scores, ratio, null, scope, minKeepPerLayer);
    }

    /// <summary>
    /// Like <see cref="LowestScored"/> with one global ranking, but prunes exactly <paramref name="count"/> units (an error when
    /// fewer may be pruned).
    /// </summary>
    public static IReadOnlyList<Tensor> LowestScoredCount(IReadOnlyList<Tensor> scores, long count, int minKeepPerLayer = 0)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of units to prune must be ≥ 0");
        return Select(scores, double.NaN, count, PruningScope.Global, minKeepPerLayer);
    }

    private static IReadOnlyList<Tensor> Select(IReadOnlyList<Tensor> scores, double ratio, long? count, PruningScope scope, int minKeepPerLayer)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("no layers to prune");
        if (minKeepPerLayer < 0) throw new ArgumentOutOfRangeException(nameof(minKeepPerLayer), minKeepPerLayer, "must be ≥ 0");
        using var scope0 = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = new List<Tensor>();
        for (int i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            if (s.ndim != 1) throw new ArgumentException($"score tensor {i} must be 1-D, got shape [{string.Join(", ", s.shape)}]");
            if (s.numel() == 0) throw new ArgumentException($"score tensor {i} is empty");
            var d = s.detach().to(float64);
            if (!d.isfinite().all().item<bool>()) throw new ArgumentException($"score tensor {i} contains NaN or infinite values");
            if (minKeepPerLayer > 0)
            {
                // protect the layer's highest-scored units: mark them +inf so they sort last and are excluded.
                long keep = Math.Min(minKeepPerLayer, d.numel());
                // deterministic: the last `keep` entries of the stable ascending order (ties: the later position is kept)
                var top = d.sort(0, descending: false, stable: true).Indices.narrow(0, d.numel() - keep, keep);
                d = d.clone();
                d.index_put_(tensor(double.PositiveInfinity, float64, d.device), top);
            }
            flat.Add(d);
        }
        var masks = new List<Tensor>();
        if (scope == PruningScope.Global)
        {
            var all = cat(flat, 0);
            long total = all.numel();
            long k = count ?? (long)Math.Round(ratio * total, MidpointRounding.AwayFromZero);
            long available = all.isfinite().sum().item<long>();
            if (k > available)
                throw new ArgumentException(count is null
                    ? $"pruning ratio {ratio} asks for {k} of {total} units, but only {available} may be pruned (each layer keeps {minKeepPerLayer})"
                    : $"pruning {k} of {total} units is asked, but only {available} may be pruned (each layer keeps {minKeepPerLayer})");
            var order = all.sort(0, descending: false, stable: true).Indices;
            var pruned = zeros(total, @bool, all.device);
            if (k > 0) pruned.index_put_(tensor(true, @bool, all.device), order.narrow(0, 0, k));
            long offset = 0;
            foreach (var f in flat)
            {
                masks.Add(pruned.narrow(0, offset, f.numel()).clone().MoveToOuterDisposeScope());
                offset += f.numel();
            }
        }
        else
        {
            foreach (var f in flat)
            {
                long n = f.numel();
                long k = Math.Min((long)Math.Round(ratio * n, MidpointRounding.AwayFromZero), n - Math.Min(minKeepPerLayer, n));
                var order = f.sort(0, descending: false, stable: true).Indices;
                var pruned = zeros(n, @bool, f.device);
                if (k > 0) pruned.index_put_(tensor(true, @bool, f.device), order.narrow(0, 0, k));
                masks.Add(pruned.MoveToOuterDisposeScope());
            }
        }
        return masks;
    }

    /// <summary>
    /// The global pruning order: every unit that may be pruned (each layer's <paramref name="minKeepPerLayer"/>
    /// highest-scored units excluded), lowest score first, ties broken by position as in <see cref="LowestScored"/>. Pruning
    /// the first k units of this order is what <see cref="LowestScored"/> does globally for <c>round(ratio·total) = k</c>.
    /// </summary>
    /// <returns>Per rank, the layer index and the unit's index in that layer.</returns>
    public static (int[] Layer, long[] Index) GlobalOrder(IReadOnlyList<Tensor> scores, int minKeepPerLayer = 0)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("no layers to prune");
        using var scope0 = NewDisposeScope();
        var layerIds = new List<Tensor>();
        var positions = new List<Tensor>();
        var keyed = new List<Tensor>();
        for (int i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            if (s.ndim != 1 || s.numel() == 0) throw new ArgumentException($"score tensor {i} must be 1-D and non-empty, got shape [{string.Join(", ", s.shape)}]");
            var d = s.detach().to(float64).cpu();
            if (!d.isfinite().all().item<bool>()) throw new ArgumentException($"score tensor {i} contains NaN or infinite values");
            if (minKeepPerLayer > 0)
            {
                long keep = Math.Min(minKeepPerLayer, d.numel());
                var top = d.sort(0, descending: false, stable: true).Indices.narrow(0, d.numel() - keep, keep);
                d = d.clone();
                d.index_put_(tensor(double.PositiveInfinity, float64), top);
            }
            keyed.Add(d);
            layerIds.Add(full(d.numel(), i, int32));
            positions.Add(arange(d.numel(), int64));
        }
        var all = cat(keyed, 0);
        var order = all.sort(0, descending: false, stable: true).Indices;
        long available = all.isfinite().sum().item<long>();
        var head = order.narrow(0, 0, available);
        return (cat(layerIds, 0).index_select(0, head).data<int>().ToArray(), cat(positions, 0).index_select(0, head).data<long>().ToArray());
    }
}
