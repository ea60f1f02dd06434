using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// Unstructured pruning of individual conv/linear weights (spec §f item 1): the lowest-scored weights get a zero
/// mask. The model keeps its shapes; a mask is a float tensor of 0/1 with the weight's shape.
/// </summary>
public static class UnstructuredPruning
{
    /// <summary>
    /// Keep-masks (1 = kept) for the weights named in <paramref name="weightScores"/>, pruning the lowest-scored
    /// <c>round(ratio·N)</c> weights globally or <c>round(ratio·n_l)</c> per tensor.
    /// </summary>
    public static Dictionary<string, Tensor> Masks(IReadOnlyDictionary<string, Tensor> weightScores, double ratio, PruningScope scope)
    {
        ArgumentNullException.ThrowIfNull(weightScores);
        var names = weightScores.Keys.ToList();
        return ToMasks(weightScores, names, UnitSelection.LowestScored(names.Select(n => weightScores[n].detach().reshape(-1)).ToList(), ratio, scope));
    }

    /// <summary>Keep-masks that prune exactly the <paramref name="count"/> lowest-scored weights over all tensors (one global ranking).</summary>
    public static Dictionary<string, Tensor> MasksForCount(IReadOnlyDictionary<string, Tensor> weightScores, long count)
    {
        ArgumentNullException.ThrowIfNull(weightScores);
        var names = weightScores.Keys.ToList();
        return ToMasks(weightScores, names, UnitSelection.LowestScoredCount(names.Select(n => weightScores[n].detach().reshape(-1)).ToList(), count));
    }

    private static Dictionary<string, Tensor> ToMasks(IReadOnlyDictionary<string, Tensor> weightScores, List<string> names, IReadOnlyList<Tensor> pruned)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            using var scope0 = NewDisposeScope();
            var s = weightScores[names[i]];
            result[names[i]] = pruned[i].logical_not().to(float32).reshape(s.shape).MoveToOuterDisposeScope();
            pruned[i].Dispose();
        }
        return result;
    }

    /// <summary>Multiplies every named parameter of <paramref name="model"/> by its mask, in place.</summary>
    public static void Apply(nn.Module model, IReadOnlyDictionary<string, Tensor> masks)
    {
        var ps = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (n, m) in masks)
        {
            if (!ps.TryGetValue(n, out var p)) throw new KeyNotFoundException($"model has no parameter '{n}' to mask");
            if (!p.shape.SequenceEqual(m.shape)) throw new ArgumentException($"mask of '{n}' has shape [{string.Join(", ", m.shape)}], the parameter [{string.Join(", ", p.shape)}]");
            p.mul_(m.to(p.device).to_type(p.dtype));
        }
    }
}
