using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// The conv/linear layers that structured pruning shrinks, as a function of how many units each <see cref="ChannelGroup"/>
/// keeps: each layer's output channels may be a group's units (it produces the group) and its input channels a group's
/// units × features per channel (it consumes one). The common ground of <see cref="PrunedParameterCount"/> and
/// <see cref="PrunedFlopCount"/>.
/// </summary>
internal sealed class PrunedLayers
{
    /// <summary>One pruned layer: the group it produces (−1: none) with its <paramref name="Out"/> channels, the group it consumes (−1: none) with its <paramref name="InFeatures"/>, its kernel size.</summary>
    internal sealed record Layer(nn.Module Module, int OutGroup, long Out, int InGroup, long InFeatures, long FeaturesPerChannel, long Kernel)
    {
        /// <summary>Its output channels when group g keeps <paramref name="kept"/>[g] units.</summary>
        public long KeptOut(IReadOnlyList<long> kept) => OutGroup >= 0 ? kept[OutGroup] : Out;

        /// <summary>Its weights (out · in · kernel) when group g keeps <paramref name="kept"/>[g] units.</summary>
        public long KeptWeights(IReadOnlyList<long> kept) =>
            KeptOut(kept) * (InGroup >= 0 ? kept[InGroup] * FeaturesPerChannel : InFeatures) * Kernel;
    }

    private readonly long[] _units;

    /// <summary>The layers of <paramref name="groups"/> (from <see cref="ChannelGroups.Find"/>); a layer that is both producer and consumer appears once.</summary>
    public PrunedLayers(IReadOnlyList<ChannelGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _units = groups.Select(g => g.Units).ToArray();
        var roles = new Dictionary<nn.Module, (int Out, int In)>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < groups.Count; i++)
        {
            roles[groups[i].Producer] = (i, roles.TryGetValue(groups[i].Producer, out var p) ? p.In : -1);
            roles[groups[i].Consumer] = (roles.TryGetValue(groups[i].Consumer, out var c) ? c.Out : -1, i);
        }
        Layers = roles.Select(kv =>
        {
            var (m, (outGroup, inGroup)) = (kv.Key, kv.Value);
            var w = m.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            long outs = w.shape[0], ins = w.shape[1];
            return new Layer(m, outGroup, outs, inGroup, ins, inGroup >= 0 ? groups[inGroup].FeaturesPerChannel : 1, w.numel() / (outs * ins));
        }).ToList();
        Modules = new HashSet<nn.Module>(roles.Keys, ReferenceEqualityComparer.Instance);
    }

    /// <summary>The pruned layers.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>The pruned layers' modules (by reference).</summary>
    public IReadOnlySet<nn.Module> Modules { get; }

    /// <summary>Units per group, unpruned.</summary>
    public IReadOnlyList<long> Units => _units;

    /// <summary>Throws unless <paramref name="kept"/> has one count per group, each within 0…the group's units.</summary>
    public void CheckKept(IReadOnlyList<long> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        if (kept.Count != _units.Length) throw new ArgumentException($"{kept.Count} kept counts for {_units.Length} groups");
        for (int g = 0; g < kept.Count; g++)
            if (kept[g] < 0 || kept[g] > _units[g]) throw new ArgumentOutOfRangeException(nameof(kept), $"group {g} keeps {kept[g]} of {_units[g]} units");
    }

    /// <summary>The largest drop of <paramref name="cost"/> from pruning a single unit of the unpruned model.</summary>
    public long LargestUnitDrop(Func<IReadOnlyList<long>, long> cost) => UnitDrops(cost).Max();

    /// <summary>Per group, the drop of <paramref name="cost"/> from pruning one of its units in the unpruned model.</summary>
    public long[] UnitDrops(Func<IReadOnlyList<long>, long> cost)
    {
        long unpruned = cost(_units);
        return Enumerable.Range(0, _units.Length).Select(g => unpruned - cost(_units.Select((u, i) => i == g ? u - 1 : u).ToArray())).ToArray();
    }
}
