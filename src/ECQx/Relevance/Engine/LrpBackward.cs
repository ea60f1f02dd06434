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
    private readonly Dictionary<Tensor, int> _forwardUses = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Tensor> _pinned = new(ReferenceEqualityComparer.Instance);

    public LrpBackward(WeightRule? weightRule) => _weightRule = weightRule;

    /// <summary>Parameter name → relevance (summed when a parameter is used by several layers).</summary>
    public Dictionary<string, Tensor> ParameterRelevance { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a leaf needs its forward recorded with a weight graph for this walk.</summary>
    public bool NeedsWeightGraph(AffinePlan leaf) => _weightRule is not null && leaf.Rule is AffineRule;

    /// <summary>
    /// Propagates <paramref name="r"/> (relevance at <paramref name="root"/>'s output, not consumed) through a
    /// recorded plan and returns the relevance at its input (see <see cref="Run(PlanNode, Tensor, bool, bool, out bool)"/>
    /// for <paramref name="needInput"/>). Recorded activations are freed as soon as the walk has passed them — the
    /// plan cannot be walked twice — except the tensors in <paramref name="keep"/> (e.g. the model input).
    /// </summary>
    public Tensor? Run(PlanNode root, Tensor r, bool needInput, params Tensor[] keep)
    {
        foreach (var t in keep) _pinned.Add(t);
        CountForwardUses(root);
        return Run(root, r, needInput, ownsRelevance: false, out _);
    }

    /// <summary>
    /// Propagates <paramref name="r"/> (relevance at <paramref name="node"/>'s output) through the node and returns the
    /// relevance at its input. With <paramref name="needInput"/> false the caller does not use the node's input
    /// relevance (the node sits at the model input and no input relevance was asked for): parameter relevance is
    /// still computed, but the layers at the node's input skip their input-relevance rule and null is returned.
    /// Ownership: <paramref name="r"/> is never disposed here; the result is either <paramref name="r"/> itself
    /// (<paramref name="owned"/> = <paramref name="ownsRelevance"/>) or a new tensor the caller owns
    /// (<paramref name="owned"/> = true), so relevance tensors can be freed as soon as the walk has passed them.
    /// </summary>
    private Tensor? Run(PlanNode node, Tensor r, bool needInput, bool ownsRelevance, out bool owned)
    {
        switch (node)
        {
            case ChainPlan chain:
            {
                Tensor? current = r;
                bool ownsCurrent = ownsRelevance;
                for (int i = chain.Steps.Count - 1; i >= 0; i--)
                {
                    var next = Run(chain.Steps[i], current!, needInput || i > 0, ownsCurrent, out bool ownsNext);
                    if (ownsCurrent && !ReferenceEquals(next, current)) current!.Dispose();
                    current = next;
                    ownsCurrent = ownsNext;
                }
                owned = ownsCurrent;
                return current;
            }
            case ResidualPlan res:
            {
                Tensor ra = r, rb = r;
                bool ownsParts = false;
                if (res.Rule is NormRule norm)
                {
                    using var scope = NewDisposeScope();
                    using var sum = res.BranchOutput!.add(res.ShortcutOutput!);
                    var g = r.div(Stabilizer.Stabilize(sum, norm.Epsilon));
                    ra = res.BranchOutput!.mul(g).MoveToOuterDisposeScope();
                    rb = res.ShortcutOutput!.mul(g).MoveToOuterDisposeScope();
                    ownsParts = true;
                }
                else if (res.Rule is not (null or GradientRule or PassRule))
                    throw new NotSupportedException($"rule '{res.Rule.Name}' cannot be used for the residual sum '{res.Name}'; use norm, pass or gradient");
                Release(res.BranchOutput);
                Release(res.ShortcutOutput);
                var a = Run(res.Branch, ra, needInput, ownsParts, out bool ownsA);
                if (ownsParts && !ReferenceEquals(a, ra)) ra.Dispose();
                var b = Run(res.Shortcut, rb, needInput, ownsParts, out bool ownsB);
                if (ownsParts && !ReferenceEquals(b, rb)) rb.Dispose();
                Tensor? sumIn = a is null || b is null ? null : a.add(b);
                if (ownsA) a!.Dispose();
                if (ownsB && !ReferenceEquals(a, b)) b!.Dispose();
                owned = sumIn is not null;
                return sumIn;
            }
            case AffinePlan aff:
            {
                var rIn = Affine(aff, r, needInput);
                aff.Record?.Dispose();
                aff.Record = null;
                Release(aff.Input);
                owned = rIn is not null && (ownsRelevance || !ReferenceEquals(rIn, r));
                return rIn;
            }
            case FunctionPlan fn:
            {
                var rIn = needInput ? Function(fn, r) : null;
                Release(fn.Input);
                owned = rIn is not null && (ownsRelevance || !ReferenceEquals(rIn, r));
                return rIn;
            }
            default:
                throw new NotSupportedException($"unknown plan node {node.GetType().Name}");
        }
    }

    /// <summary>Counts, per recorded activation, the leaves and residual sums of the walk that still read it.</summary>
    private void CountForwardUses(PlanNode node)
    {
        switch (node)
        {
            case ChainPlan chain:
                foreach (var s in chain.Steps) CountForwardUses(s);
                break;
            case ResidualPlan res:
                Use(res.BranchOutput);
                Use(res.ShortcutOutput);
                CountForwardUses(res.Branch);
                CountForwardUses(res.Shortcut);
                break;
            case LeafPlan leaf:
                Use(leaf.Input);
                break;
        }

        void Use(Tensor? t)
        {
            if (t is not null) _forwardUses[t] = _forwardUses.GetValueOrDefault(t) + 1;
        }
    }

    /// <summary>One reader of a recorded activation is done; the last one frees it (unless pinned).</summary>
    private void Release(Tensor? t)
    {
        if (t is null || !_forwardUses.TryGetValue(t, out int uses)) return;
        if (uses > 1) { _forwardUses[t] = uses - 1; return; }
        _forwardUses.Remove(t);
        if (!_pinned.Contains(t)) t.Dispose();
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
