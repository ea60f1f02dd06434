using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>The filters/neurons chosen for structured pruning: per <see cref="ChannelGroup"/>, the kept unit indices.</summary>
/// <param name="Groups">The prunable groups.</param>
/// <param name="Keep">Per group, the kept unit indices (int64, ascending).</param>
/// <param name="UnitScores">Per group, the unit scores used (float64, one per unit).</param>
public sealed record StructuredPruningPlan(IReadOnlyList<ChannelGroup> Groups, IReadOnlyList<Tensor> Keep, IReadOnlyList<Tensor> UnitScores)
{
    /// <summary>Units over all groups.</summary>
    public long TotalUnits => Groups.Sum(g => g.Units);
    /// <summary>Pruned units over all groups.</summary>
    public long PrunedUnits => TotalUnits - Keep.Sum(k => k.numel());
}

/// <summary>
/// Structured pruning of conv filters and linear neurons (spec §f item 1; this package's interpretation): a unit's
/// score is the sum of its weights' calibrated scores, <c>S_o = Σ_{i,kh,kw} s[o,i,kh,kw]</c> (for DeepLIFT: the
/// mean absolute contribution of the filter's connections); the lowest-scored units are removed. Removal is real:
/// <see cref="Shrink"/> rebuilds the model with the channels taken out of the producer, its batch norms and the
/// consumer's inputs (see <see cref="ChannelGroups"/> for which layers qualify; for ResNets only the inner conv of
/// each block). <see cref="ApplyMask"/> is the equivalent in-place mask (producer rows, bias and batch-norm γ, β set to
/// zero), which gives the same eval-mode outputs.
/// </summary>
public static class StructuredPruning
{
    /// <summary>Chooses the units to prune from per-weight <paramref name="weightScores"/> (state-dict name → tensor).</summary>
    /// <remarks>Every group keeps at least its highest-scored unit; <paramref name="ratio"/> is the fraction of all prunable units (global) or of each group's units.</remarks>
    public static StructuredPruningPlan Plan(nn.Module model, IReadOnlyDictionary<string, Tensor> weightScores, double ratio, PruningScope scope)
    {
        var (groups, unitScores) = GroupScores(model, weightScores);
        var pruned = UnitSelection.LowestScored(unitScores, ratio, scope, minKeepPerLayer: 1);
        var keep = pruned.Select(p => p.logical_not().nonzero().reshape(-1)).ToList();
        foreach (var p in pruned) p.Dispose();
        return new StructuredPruningPlan(groups, keep, unitScores);
    }

    /// <summary>
    /// Chooses the units to prune so that the pruned model keeps at most <paramref name="targetParameters"/> parameters:
    /// units are pruned in the global order of their scores (lowest first, every group keeping its highest-scored unit)
    /// until the count (<see cref="PrunedParameterCount"/>) is not above the target. Two methods given the same target
    /// therefore keep equal parameter counts within one unit's cost (the last unit pruned), whatever layers their
    /// scores pick.
    /// </summary>
    /// <exception cref="ArgumentException">The target lies below what pruning every prunable unit reaches; the message names both.</exception>
    public static StructuredPruningPlan PlanForParameters(nn.Module model, IReadOnlyDictionary<string, Tensor> weightScores, long targetParameters)
    {
        var (groups, unitScores) = GroupScores(model, weightScores);
        var counter = new PrunedParameterCount(model, groups);
        return PlanForBudget(model, groups, unitScores, counter.Count, targetParameters, "parameters");
    }

    /// <summary>
    /// Chooses the units to prune so that the pruned model costs at most <paramref name="targetFlops"/> FLOPs per example of
    /// shape <paramref name="inputShape"/> (<see cref="PrunedFlopCount"/>): units are pruned in the global order of their
    /// score per FLOP saved (the unit score divided by <see cref="PrunedFlopCount.UnitFlops"/> of its group, lowest first,
    /// every group keeping its highest-scored unit) until the FLOPs are not above the target. Two methods given the same
    /// target therefore spend equal FLOPs within one unit's FLOPs (<see cref="PrunedFlopCount.LargestUnitFlops"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The target lies below what pruning every prunable unit reaches; the message names both.</exception>
    public static StructuredPruningPlan PlanForFlops(nn.Module<Tensor, Tensor> model, IReadOnlyDictionary<string, Tensor> weightScores, long[] inputShape, long targetFlops)
    {
        var (groups, unitScores) = GroupScores(model, weightScores);
        PrunedFlopCount counter;
        long[] unitFlops;
        try
        {
            counter = new PrunedFlopCount(model, groups, inputShape);
            unitFlops = counter.UnitFlops;
        }
        catch { foreach (var u in unitScores) u.Dispose(); throw; }
        // Rank by score per FLOP a unit's removal saves: a unit is worth keeping for what it contributes per unit of the
        // budget it spends (a greedy knapsack), so cheap units with low scores are not removed before costly ones.
        var perFlop = unitScores.Select((u, g) => u / Math.Max(1, unitFlops[g])).ToList();
        try { return PlanForBudget(model, groups, unitScores, counter.Flops, targetFlops, "FLOPs", perFlop); }
        finally { foreach (var t in perFlop) t.Dispose(); }
    }

    /// <summary>
    /// Prunes units in the global order of <paramref name="rankBy"/> (default: the unit scores) until <paramref name="cost"/>
    /// of the kept counts is not above <paramref name="target"/>.
    /// </summary>
    private static StructuredPruningPlan PlanForBudget(nn.Module model, IReadOnlyList<ChannelGroup> groups, List<Tensor> unitScores,
        Func<IReadOnlyList<long>, long> cost, long target, string unit, IReadOnlyList<Tensor>? rankBy = null)
    {
        var (layer, index) = UnitSelection.GlobalOrder(rankBy ?? unitScores, minKeepPerLayer: 1);
        var kept = groups.Select(g => g.Units).ToArray();
        long spent = cost(kept);
        int k = 0;
        while (spent > target && k < layer.Length)
        {
            kept[layer[k]]--;
            k++;
            spent = cost(kept);
        }
        if (spent > target)
        {
            foreach (var u in unitScores) u.Dispose();
            throw new ArgumentException($"model {model.GetName()} cannot be pruned to {target} {unit} by filters: pruning every prunable unit (each layer keeping one) leaves {spent}");
        }
        var pruned = new List<long>[groups.Count];
        for (int g = 0; g < groups.Count; g++) pruned[g] = new List<long>();
        for (int r = 0; r < k; r++) pruned[layer[r]].Add(index[r]);
        var keep = new List<Tensor>();
        for (int g = 0; g < groups.Count; g++)
        {
            using var scope = NewDisposeScope();
            var mask = ones(groups[g].Units, @bool);
            if (pruned[g].Count > 0) mask.index_put_(tensor(false), tensor(pruned[g].ToArray(), int64));
            keep.Add(mask.nonzero().reshape(-1).MoveToOuterDisposeScope());
        }
        return new StructuredPruningPlan(groups, keep, unitScores);
    }

    /// <summary>The prunable groups and per group the unit scores <c>S_o = Σ s[o, …]</c> (float64).</summary>
    private static (IReadOnlyList<ChannelGroup> Groups, List<Tensor> UnitScores) GroupScores(nn.Module model, IReadOnlyDictionary<string, Tensor> weightScores)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weightScores);
        var groups = ChannelGroups.Find(model);
        if (groups.Count == 0) throw new ArgumentException($"model {model.GetName()} has no structurally prunable layer (a conv/linear feeding another conv/linear through per-channel operations)");
        var unitScores = new List<Tensor>();
        foreach (var g in groups)
        {
            if (!weightScores.TryGetValue(g.ProducerWeightName, out var s)) throw new KeyNotFoundException($"no score for '{g.ProducerWeightName}'");
            var w = g.Producer.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            if (!s.shape.SequenceEqual(w.shape)) throw new ArgumentException($"score of '{g.ProducerWeightName}' has shape [{string.Join(", ", s.shape)}], the weight [{string.Join(", ", w.shape)}]");
            using var scope = NewDisposeScope();
            unitScores.Add(s.detach().to(float64).reshape(s.shape[0], -1).sum(1).MoveToOuterDisposeScope());
        }
        return (groups, unitScores);
    }

    /// <summary>Zeroes the pruned units in place: producer weight rows and bias, and γ, β of the groups' batch norms.</summary>
    public static void ApplyMask(StructuredPruningPlan plan)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < plan.Groups.Count; i++)
        {
            var g = plan.Groups[i];
            foreach (var (name, p) in g.Producer.named_parameters(recurse: false))
                Zero(p, plan.Keep[i]);
            foreach (var (_, bn) in g.Norms)
                foreach (var (_, p) in bn.named_parameters(recurse: false))
                    Zero(p, plan.Keep[i]);
        }

        static void Zero(Tensor p, Tensor keep)
        {
            var mask = zeros(p.shape[0], p.dtype, p.device);
            mask.index_fill_(0, keep.to(p.device), 1.0);
            var shape = new long[p.ndim];
            Array.Fill(shape, 1L);
            shape[0] = p.shape[0];
            p.mul_(mask.reshape(shape));
        }
    }

    /// <summary>A new, smaller model with the pruned channels removed (the original is left unchanged).</summary>
    public static RebuiltModel Shrink(nn.Module<Tensor, Tensor> model, StructuredPruningPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var outKeep = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inKeep = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        for (int i = 0; i < plan.Groups.Count; i++)
        {
            var g = plan.Groups[i];
            var k = plan.Keep[i];
            outKeep[g.ProducerName] = k;
            foreach (var (n, _) in g.Norms) outKeep[n] = k;
            inKeep[g.ConsumerName] = g.FeaturesPerChannel == 1 ? k
                : (k.unsqueeze(1) * g.FeaturesPerChannel + arange(g.FeaturesPerChannel, int64, k.device).unsqueeze(0)).reshape(-1);
        }
        return ModelRebuilder.Rebuild(model, (name, m) =>
            ModelRebuilder.Slice(m, outKeep.GetValueOrDefault(name), inKeep.GetValueOrDefault(name)));
    }

    /// <summary>
    /// Shrinks a freshly created model so that its shapes match a structurally pruned state dict (kept channels are
    /// the first ones, in the file's order), ready for <c>StateDictLoader.Load</c>. Returns the model itself when
    /// nothing is pruned. A shape that no pruning explains is left for the loader to report.
    /// </summary>
    public static nn.Module<Tensor, Tensor> ShapeLike(nn.Module<Tensor, Tensor> model, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var groups = ChannelGroups.Find(model);
        var keep = new List<Tensor>();
        var used = new List<ChannelGroup>();
        foreach (var g in groups)
        {
            if (!stateDict.TryGetValue(g.ProducerWeightName, out var w) || w.ndim < 1) continue;
            long k = w.shape[0];
            if (k >= g.Units || k < 1) continue;
            used.Add(g);
            keep.Add(arange(k, int64));
        }
        if (used.Count == 0) return model;
        var plan = new StructuredPruningPlan(used, keep, used.Select(_ => empty(0)).ToList());
        return Shrink(model, plan);
    }
}
