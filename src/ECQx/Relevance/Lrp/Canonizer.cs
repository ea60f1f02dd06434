using ECQx.Relevance.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Lrp;

/// <summary>
/// A canonizer rewrites the compiled (eval-mode) view of a model into an equivalent form that LRP rules handle
/// better. It never changes the model itself.
/// </summary>
public abstract class Canonizer
{
    /// <summary>Name (<c>bn_affine</c>, <c>merge_bn</c>, <c>none</c>).</summary>
    public abstract string Name { get; }
    internal abstract void Apply(PlanNode root);
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>No rewriting.</summary>
public sealed class NoCanonizer : Canonizer
{
    /// <inheritdoc/>
    public override string Name => "none";
    internal override void Apply(PlanNode root) { }
}

/// <summary>
/// The reference fork's "SequentialMergeBatchNorm" (spec §b.4), which does <em>not</em> fold: every batch norm is
/// re-parameterised as the per-channel affine map <c>γ'·x + β'</c> with <c>γ' = γ/√(var+eps)</c>,
/// <c>β' = β − mean·γ'</c> (mean' = 0, var' = 1 − eps). Outputs are unchanged; rules that modify a batch
/// norm's parameters (z⁺, α-β on BN) then act on γ', β'. Conv/linear weights are untouched. This is the
/// reference default (<c>--canonizer resnet</c> there, <c>bn_affine</c> here); with BN under Pass it has no numerical effect.
/// </summary>
public sealed class BatchNormAffineCanonizer : Canonizer
{
    /// <inheritdoc/>
    public override string Name => "bn_affine";

    internal override void Apply(PlanNode root)
    {
        foreach (var leaf in root.Leaves().OfType<AffinePlan>().Where(l => l.BatchNorm is not null))
        {
            var st = leaf.BatchNorm!;
            var layer = leaf.Layer;
            var scale = layer.Weight.mul(st.InvStd());
            var shift = (layer.Bias ?? zeros_like(scale)).sub(st.Mean.mul(scale));
            st.Mean = zeros_like(st.Mean);
            st.Variance = full_like(st.Variance, 1.0 - st.Eps); // as the reference: mean' = 0, var' = 1 − eps
            layer.Weight = scale;
            layer.Bias = shift;
        }
    }
}

/// <summary>
/// Upstream zennit's merge: a batch norm that directly follows a convolution or linear layer in the same chain
/// is folded into it (<c>W' = W·γ'</c> per output channel, <c>b' = (b − mean)·γ' + β</c>) and removed. The
/// folded weight's relevance is reported for the original weight parameter (per element,
/// <c>W ⊙ ∂/∂W = W' ⊙ ∂/∂W'</c>); the folded bias's relevance goes to the layer's own bias if it has one and is
/// dropped otherwise. Batch norms that do not follow a weighted layer are left as they are.
/// </summary>
public sealed class MergeBatchNormCanonizer : Canonizer
{
    /// <inheritdoc/>
    public override string Name => "merge_bn";

    internal override void Apply(PlanNode root)
    {
        switch (root)
        {
            case ChainPlan chain:
                for (int i = 0; i < chain.Steps.Count; i++)
                {
                    Apply(chain.Steps[i]);
                    if (i + 1 < chain.Steps.Count
                        && chain.Steps[i] is AffinePlan { Kind: LayerKind.Convolution or LayerKind.Linear, Functional: false } lin
                        && chain.Steps[i + 1] is AffinePlan { BatchNorm: not null, Functional: false } bn)
                    {
                        Fold(lin, bn);
                        chain.Steps[i + 1] = new FunctionPlan(bn.Name, LayerKind.Identity, functional: false, x => x.alias());
                    }
                }
                break;
            case ResidualPlan res:
                Apply(res.Branch);
                Apply(res.Shortcut);
                break;
        }
    }

    private static void Fold(AffinePlan lin, AffinePlan bn)
    {
        var st = bn.BatchNorm!;
        var scale = bn.Layer.Weight.mul(st.InvStd());                // γ' per output channel
        var shape = new long[lin.Layer.Weight.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        var w = lin.Layer.Weight.mul(scale.view(shape));
        var b0 = lin.Layer.Bias ?? zeros_like(scale);
        var b = b0.sub(st.Mean).mul(scale).add(bn.Layer.Bias ?? zeros_like(scale));
        var layer = lin.Layer;
        layer.Weight = w;
        layer.Bias = b; // when the layer had no bias, BiasParameter stays null and the folded bias's relevance is dropped
    }
}

/// <summary>
/// Canonizers by name. Every canonizer has one name (its <see cref="Canonizer.Name"/>): <c>bn_affine</c> (the
/// reference fork's batch-norm re-parameterisation, the default), <c>merge_bn</c> (folds batch norms into the
/// preceding layer) and <c>none</c>. The reference's command-line values are accepted as aliases of these:
/// <c>resnet</c>, <c>vgg</c> and <c>resnetcifar</c> select <c>bn_affine</c> there (the torchvision block
/// canonizers of <c>resnet</c> do not apply to the CIFAR models), and <c>merge</c>/<c>fold</c> mean <c>merge_bn</c>.
/// </summary>
public static class Canonizers
{
    /// <summary>The name of the default canonizer (<see cref="BatchNormAffineCanonizer"/>).</summary>
    public const string Default = "bn_affine";

    /// <summary>The canonizers' names.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "bn_affine", "merge_bn", "none" };

    /// <summary>Other accepted spellings and the canonizer name each stands for.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["resnet"] = "bn_affine", ["vgg"] = "bn_affine", ["resnetcifar"] = "bn_affine", ["merge"] = "merge_bn", ["fold"] = "merge_bn",
    };

    /// <summary>The canonizer named <paramref name="name"/> or one of its <see cref="Aliases"/> (empty: the default).</summary>
    public static Canonizer Create(string name)
    {
        string key = (name ?? "").Trim().ToLowerInvariant();
        if (key.Length == 0) key = Default;
        return (Aliases.TryGetValue(key, out var canonical) ? canonical : key) switch
        {
            "bn_affine" => new BatchNormAffineCanonizer(),
            "merge_bn" => new MergeBatchNormCanonizer(),
            "none" => new NoCanonizer(),
            _ => throw new ArgumentException(
                $"unknown canonizer '{name}'. Known: {string.Join(", ", Names)} (aliases: {string.Join(", ", Aliases.Select(a => $"{a.Key} = {a.Value}"))})", nameof(name)),
        };
    }
}
