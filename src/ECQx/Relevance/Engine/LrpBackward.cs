using ECQx.Relevance.Lrp;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>
/// The LRP backward walk over a recorded plan: each layer's rule maps output relevance to input relevance,
/// hooked weighted layers also get parameter relevance from the weight rule. Residual sums without a hook copy
/// relevance to both paths and add what comes back (spec §b.5).
/// </summary>
internal sealed class LrpBackward
{
    private readonly WeightRule? _weightRule;

    public LrpBackward(WeightRule? weightRule) => _weightRule = weightRule;

    /// <summary>Parameter name → relevance (summed when a parameter is used by several layers).</summary>
    public Dictionary<string, Tensor> ParameterRelevance { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a leaf needs its forward recorded with a weight graph for this walk.</summary>
    public bool NeedsWeightGraph(AffinePlan leaf) => _weightRule is not null && leaf.Rule is AffineRule;

    /// <summary>
    /// Propagates <paramref name="r"/> (relevance at <paramref name="node"/>'s output) through the node and returns the
    /// relevance at its input. With <paramref name="needInput"/> false the caller does not use the node's input
    /// relevance (the node sits at the model input and no input relevance was asked for): parameter relevance is
    /// still computed, but the layers at the node's input skip their input-relevance rule and null is returned.
    /// </summary>
    public Tensor? Run(PlanNode node, Tensor r, bool needInput = true)
    {
        switch (node)
        {
            case ChainPlan chain:
            {
                Tensor? current = r;
                for (int i = chain.Steps.Count - 1; i >= 0; i--)
                    current = Run(chain.Steps[i], current!, needInput || i > 0);
                return current;
            }
            case ResidualPlan res:
            {
                Tensor ra = r, rb = r;
                if (res.Rule is NormRule norm)
                {
                    var s = Stabilizer.Stabilize(res.BranchOutput!.add(res.ShortcutOutput!), norm.Epsilon);
                    var g = r.div(s);
                    ra = res.BranchOutput!.mul(g);
                    rb = res.ShortcutOutput!.mul(g);
                }
                else if (res.Rule is not (null or GradientRule or PassRule))
                    throw new NotSupportedException($"rule '{res.Rule.Name}' cannot be used for the residual sum '{res.Name}'; use norm, pass or gradient");
                var a = Run(res.Branch, ra, needInput);
                var b = Run(res.Shortcut, rb, needInput);
                return a is null || b is null ? null : a.add(b);
            }
            case AffinePlan aff:
                return Affine(aff, r, needInput);
            case FunctionPlan fn:
                return needInput ? Function(fn, r) : null;
            default:
                throw new NotSupportedException($"unknown plan node {node.GetType().Name}");
        }
    }

    private Tensor? Affine(AffinePlan leaf, Tensor r, bool needInput)
    {
        var layer = leaf.Layer;
        var x = leaf.Input!;
        if (!needInput)
        {
            if (leaf.Rule is AffineRule && _weightRule is not null && leaf.Record is not null)
                AddParameterRelevance(layer, _weightRule.Relevance(layer, leaf.Record, r));
            if (leaf.Rule is not (null or PassRule or NormRule or AffineRule))
                throw new NotSupportedException($"rule '{leaf.Rule.Name}' is not applicable to layer '{leaf.Name}' ({leaf.Kind})");
            return null;
        }
        switch (leaf.Rule)
        {
            case null:
                return GradientRule.Instance.Relevance(layer, x, r);
            case PassRule:
                return Pass(leaf, x, r);
            case NormRule norm:
                return new EpsilonRule(norm.Epsilon).Relevance(layer, x, r);
            case AffineRule rule:
                if (_weightRule is not null && leaf.Record is not null) AddParameterRelevance(layer, _weightRule.Relevance(layer, leaf.Record, r));
                return rule.Relevance(layer, x, r);
            default:
                throw new NotSupportedException($"rule '{leaf.Rule.Name}' is not applicable to layer '{leaf.Name}' ({leaf.Kind})");
        }
    }

    private static Tensor Function(FunctionPlan leaf, Tensor r)
    {
        var x = leaf.Input!;
        switch (leaf.Rule)
        {
            case null or GradientRule:
                // For a ReLU this is r ⊙ 1[x > 0]; its own backward (one fused pass) is much cheaper than a boolean mask product.
                return InputGradient.Of(leaf.Forward, x, r);
            case PassRule:
                return Pass(leaf, x, r);
            case NormRule norm:
            {
                using var scope = NewDisposeScope();
                Tensor y;
                using (no_grad()) y = leaf.Forward(x);
                var g = r.div(Stabilizer.Stabilize(y, norm.Epsilon));
                return x.mul(InputGradient.Of(leaf.Forward, x, g)).MoveToOuterDisposeScope();
            }
            default:
                throw new NotSupportedException($"rule '{leaf.Rule.Name}' needs a layer with parameters; '{leaf.Name}' ({leaf.Kind}) has none");
        }
    }

    private static Tensor Pass(LeafPlan leaf, Tensor x, Tensor r)
    {
        if (!x.shape.SequenceEqual(r.shape))
            throw new NotSupportedException($"the pass rule needs a shape-preserving layer; '{leaf.Name}' maps [{string.Join(", ", x.shape)}] to [{string.Join(", ", r.shape)}]");
        return r;
    }

    private void AddParameterRelevance(AffineLayer layer, ParameterRelevance pr)
    {
        Add(layer.WeightParameter, pr.Weight);
        if (pr.Bias is not null) Add(layer.BiasParameter, pr.Bias);
    }

    private void Add(string? name, Tensor relevance)
    {
        if (name is null) return;
        ParameterRelevance[name] = ParameterRelevance.TryGetValue(name, out var prev) ? prev.add(relevance) : relevance;
    }
}
