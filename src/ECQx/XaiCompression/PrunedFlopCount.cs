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
    private readonly PrunedLayers _pruned;
    private readonly long[] _positions;
    private readonly long _fixedMacs;

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
        _pruned = new PrunedLayers(groups);
        _positions = _pruned.Layers.Select(l => PositionsOf(l.Module, positions)).ToArray();
        using var scope = NewDisposeScope();
        foreach (var l in CompressibleLayers.Of(model).Where(l => !_pruned.Modules.Contains(l.Module)))
            _fixedMacs += l.Weight.detach().count_nonzero().item<long>() * PositionsOf(l.Module, positions);
    }

    private static long PositionsOf(nn.Module m, Dictionary<nn.Module, long> positions) =>
        positions.TryGetValue(m, out long p) ? p
            : throw new InvalidOperationException($"a {m.GetType().Name} layer was not reached by the forward pass; its FLOPs are unknown");

    /// <summary>The multiply–accumulates per example when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long MultiplyAccumulates(IReadOnlyList<long> kept)
    {
        _pruned.CheckKept(kept);
        long total = _fixedMacs;
        for (int i = 0; i < _pruned.Layers.Count; i++) total += _pruned.Layers[i].KeptWeights(kept) * _positions[i];
        return total;
    }

    /// <summary>The FLOPs per example (2 × <see cref="MultiplyAccumulates"/>) when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long Flops(IReadOnlyList<long> kept) => 2 * MultiplyAccumulates(kept);

    /// <summary>The unpruned FLOPs (every group keeps all its units).</summary>
    public long Unpruned => Flops(_pruned.Units);

    /// <summary>
    /// The most FLOPs one unit removes: the largest drop from pruning a single unit of the unpruned model. Pruning other
    /// units first only lowers a unit's cost, so two FLOP-matched plans (<see cref="StructuredPruning.PlanForFlops"/>)
    /// differ by less than this.
    /// </summary>
    public long LargestUnitFlops => _pruned.LargestUnitDrop(Flops);

    /// <summary>Per group, the FLOPs that pruning one of its units saves in the unpruned model (its own and its consumer's share).</summary>
    public long[] UnitFlops => _pruned.UnitDrops(Flops);
}
