using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// The parameter count of a model after structured pruning, as a function of how many units each
/// <see cref="ChannelGroup"/> keeps. Which units are kept does not matter, only how many: a producer keeping
/// <c>c_g</c> of its filters has <c>c_g·in·k</c> weights (+ <c>c_g</c> biases, + <c>c_g</c> per affine norm parameter), and a
/// consumer keeping <c>c_g·S</c> of its input features has <c>out·c_g·S·k</c> weights; a layer that is both uses both kept
/// counts. Equal to the parameter count of <see cref="StructuredPruning.Shrink"/>'s model (tested).
/// </summary>
public sealed class PrunedParameterCount
{
    private readonly PrunedLayers _pruned;
    private readonly bool[] _bias;
    private readonly long _fixed;
    private readonly long[] _normParametersPerUnit;

    /// <summary>The count model of <paramref name="model"/> for its <paramref name="groups"/> (from <see cref="ChannelGroups.Find"/>).</summary>
    public PrunedParameterCount(nn.Module model, IReadOnlyList<ChannelGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(groups);
        _pruned = new PrunedLayers(groups);
        _normParametersPerUnit = groups.Select(g => g.Norms.Sum(n => (long)n.Module.parameters(recurse: false).Count())).ToArray();
        _bias = _pruned.Layers.Select(l => l.Module.named_parameters(recurse: false).Any(p => p.name == "bias")).ToArray();
        long counted = _pruned.Layers.Sum(l => l.Module.parameters(recurse: false).Sum(p => p.numel()));
        foreach (var g in groups)
            foreach (var (_, n) in g.Norms)
                counted += n.parameters(recurse: false).Sum(p => p.numel());
        _fixed = model.parameters().Sum(p => p.numel()) - counted;
    }

    /// <summary>The parameter count when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long Count(IReadOnlyList<long> kept)
    {
        _pruned.CheckKept(kept);
        long total = _fixed;
        for (int i = 0; i < _pruned.Layers.Count; i++)
        {
            var l = _pruned.Layers[i];
            total += l.KeptWeights(kept) + (_bias[i] ? l.KeptOut(kept) : 0);
        }
        for (int g = 0; g < kept.Count; g++) total += _normParametersPerUnit[g] * kept[g];
        return total;
    }

    /// <summary>The unpruned count (every group keeps all its units).</summary>
    public long Unpruned => Count(_pruned.Units);

    /// <summary>
    /// The most parameters one unit removes: the largest drop from pruning a single unit of the unpruned model. Pruning other
    /// units first only lowers a unit's cost, so two parameter-matched plans (<see cref="StructuredPruning.PlanForParameters"/>)
    /// differ by less than this.
    /// </summary>
    public long LargestUnitCost => _pruned.LargestUnitDrop(Count);
}
