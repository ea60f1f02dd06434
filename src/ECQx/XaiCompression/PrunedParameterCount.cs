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
    private sealed record LayerTerm(int OutGroup, long Out, int InGroup, long InFeatures, long FeaturesPerChannel, long Kernel, bool Bias);

    private readonly long _fixed;
    private readonly List<LayerTerm> _layers = new();
    private readonly long[] _normParametersPerUnit;
    private readonly long[] _units;

    /// <summary>The count model of <paramref name="model"/> for its <paramref name="groups"/> (from <see cref="ChannelGroups.Find"/>).</summary>
    public PrunedParameterCount(nn.Module model, IReadOnlyList<ChannelGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(groups);
        _units = groups.Select(g => g.Units).ToArray();
        _normParametersPerUnit = groups.Select(g => g.Norms.Sum(n => (long)n.Module.parameters(recurse: false).Count())).ToArray();
        var modules = new Dictionary<nn.Module, (int Out, int In)>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < groups.Count; i++)
        {
            modules[groups[i].Producer] = (i, modules.TryGetValue(groups[i].Producer, out var p) ? p.In : -1);
            modules[groups[i].Consumer] = (modules.TryGetValue(groups[i].Consumer, out var c) ? c.Out : -1, i);
        }
        long counted = 0;
        foreach (var (m, (outGroup, inGroup)) in modules)
        {
            var w = m.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            long outs = w.shape[0], ins = w.shape[1], kernel = w.numel() / (outs * ins);
            bool bias = m.named_parameters(recurse: false).Any(p => p.name == "bias");
            long s = inGroup >= 0 ? groups[inGroup].FeaturesPerChannel : 1;
            _layers.Add(new LayerTerm(outGroup, outs, inGroup, ins, s, kernel, bias));
            counted += m.parameters(recurse: false).Sum(p => p.numel());
        }
        foreach (var g in groups)
            foreach (var (_, n) in g.Norms)
                counted += n.parameters(recurse: false).Sum(p => p.numel());
        _fixed = model.parameters().Sum(p => p.numel()) - counted;
    }

    /// <summary>The parameter count when group g keeps <paramref name="kept"/>[g] units.</summary>
    public long Count(IReadOnlyList<long> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        if (kept.Count != _units.Length) throw new ArgumentException($"{kept.Count} kept counts for {_units.Length} groups");
        for (int g = 0; g < kept.Count; g++)
            if (kept[g] < 0 || kept[g] > _units[g]) throw new ArgumentOutOfRangeException(nameof(kept), $"group {g} keeps {kept[g]} of {_units[g]} units");
        long total = _fixed;
        foreach (var l in _layers)
        {
            long outs = l.OutGroup >= 0 ? kept[l.OutGroup] : l.Out;
            long ins = l.InGroup >= 0 ? kept[l.InGroup] * l.FeaturesPerChannel : l.InFeatures;
            total += outs * ins * l.Kernel + (l.Bias ? outs : 0);
        }
        for (int g = 0; g < kept.Count; g++) total += _normParametersPerUnit[g] * kept[g];
        return total;
    }

    /// <summary>The unpruned count (every group keeps all its units).</summary>
    public long Unpruned => Count(_units);

    /// <summary>
    /// The most parameters one unit removes: the largest drop from pruning a single unit of the unpruned model. Pruning other
    /// units first only lowers a unit's cost, so two parameter-matched plans (<see cref="StructuredPruning.PlanForParameters"/>)
    /// differ by less than this.
    /// </summary>
    public long LargestUnitCost => Enumerable.Range(0, _units.Length)
        .Max(g => Unpruned - Count(_units.Select((u, i) => i == g ? u - 1 : u).ToArray()));
}
