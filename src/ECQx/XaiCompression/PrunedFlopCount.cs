using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// The FLOPs of one forward pass of one example after structured pruning, as a function of how many units each
/// <see cref="ChannelGroup"/> keeps (the counterpart of <see cref="PrunedParameterCount"/> for arithmetic). A conv/linear
/// layer applies its kernel at <c>P_l</c> output positions per example (measured once by <see cref="ModelCosts"/>: pruning
/// changes channel counts, never positions), so it costs <c>out·in·k·P_l</c> multiply–accumulates; a removed filter of a
/// producer removes its output channel's <c>in·k·P</c> and the consumer's <c>out·S·k·P</c> for that input channel.
/// Layers outside every group keep their cost (their non-zero weights, as <see cref="ModelCosts.Measure"/> counts).
/// FLOPs are 2 × multiply–accumulates (<see cref="ModelCost.Flops"/>). Equal to the FLOPs <see cref="ModelCosts.Measure"/>
/// reports for <see cref="StructuredPruning.Shrink"/>'s model when the pruned layers' weights are non-zero (tested).
/// </summary>
public sealed class PrunedFlopCount
{
    private sealed record LayerTerm(int OutGroup, long Out, int InGroup, long InFeatures, long FeaturesPerChannel, long Kernel, long Positions);

    private readonly long _fixedMacs;
    private readonly List<LayerTerm> _layers = new();
    private readonly long[] _units;

    /// <summary>
    /// The FLOP model of <paramref name="model"/> for its <paramref name="groups"/> (from <see cref="ChannelGroups.Find"/>) and
    /// one example of shape <paramref name="inputShape"/> (without the batch dimension).
    /// </summary>
    public PrunedFlopCount(nn.Module<Tensor, Tensor> model, IReadOnlyList<ChannelGroup> groups, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(inputShape);
        var positions = ModelCosts.OutputPositions(model, inputShape);
        _units = groups.Select(g => g.Units).ToArray();
        var modules = new Dictionary<nn.Module, (int Out, int In)>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < groups.Count; i++)
        {
            modules[groups[i].Producer] = (i, modules.TryGetValue(groups[i].Producer, out var p) ? p.In : -1);
            modules[groups[i].Consumer] = (modules.TryGetValue(groups[i].Consumer, out var c) ? c.Out : -1, i);
        }
        foreach (var (m, (outGroup, inGroup)) in modules)
        {
            var w = m.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            long outs = w.shape[0], ins = w.shape[1], kernel = w.numel() / (outs * ins);
            long s = inGroup >= 0 ? groups[inGroup].FeaturesPerChannel : 1;
            _layers.Add(new LayerTerm(outGroup, outs, inGroup, ins, s, kernel, PositionsOf(m, positions)));
        }
        using var scope = NewDisposeScope();
        foreach (var l in CompressibleLayers.Of(model).Where(l => !modules.ContainsKey(l.Module)))
            _fixedMacs += l.Weight.detach().count_nonzero().item<long>() * PositionsOf(l.Module, positions);
    }

    private static long PositionsOf(nn.Module m, Dictionary<nn.Module, long> positions) =>
        positions.TryGetValue(m, out long p) ? p
            : throw new InvalidOperationException($"a {m.GetType().Name} layer was not reached by the forward pass; its FLOPs are unknown");

    /// <summary>The multiply–accumulates per example when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long MultiplyAccumulates(IReadOnlyList<long> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        if (kept.Count != _units.Length) throw new ArgumentException($"{kept.Count} kept counts for {_units.Length} groups");
        for (int g = 0; g < kept.Count; g++)
            if (kept[g] < 0 || kept[g] > _units[g]) throw new ArgumentOutOfRangeException(nameof(kept), $"group {g} keeps {kept[g]} of {_units[g]} units");
        long total = _fixedMacs;
        foreach (var l in _layers)
        {
            long outs = l.OutGroup >= 0 ? kept[l.OutGroup] : l.Out;
            long ins = l.InGroup >= 0 ? kept[l.InGroup] * l.FeaturesPerChannel : l.InFeatures;
            total += outs * ins * l.Kernel * l.Positions;
        }
        return total;
    }

    /// <summary>The FLOPs per example (2 × <see cref="MultiplyAccumulates"/>) when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long Flops(IReadOnlyList<long> kept) => 2 * MultiplyAccumulates(kept);

    /// <summary>The unpruned FLOPs (every group keeps all its units).</summary>
    public long Unpruned => Flops(_units);

    /// <summary>
    /// The most FLOPs one unit removes: the largest drop from pruning a single unit of the unpruned model. Pruning other
    /// units first only lowers a unit's cost, so two FLOP-matched plans (<see cref="StructuredPruning.PlanForFlops"/>)
    /// differ by less than this.
    /// </summary>
    public long LargestUnitFlops => Enumerable.Range(0, _units.Length)
        .Max(g => Unpruned - Flops(_units.Select((u, i) => i == g ? u - 1 : u).ToArray()));
}
