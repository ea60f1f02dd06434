using ECQx.Relevance.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Lrp;

/// <summary>Relevance of a layer's weight and bias, shaped like them (bias null when the layer has none).</summary>
/// <param name="Weight">Relevance of the effective weight.</param>
/// <param name="Bias">Relevance of the effective bias, or null.</param>
public sealed record ParameterRelevance(Tensor Weight, Tensor? Bias);

/// <summary>
/// A weight rule: turns the relevance arriving at a hooked layer's output into relevance of its parameters
/// (spec §b.3): <c>R_P = P' ⊙ ∂/∂P' ⟨f_{P'}(x), G(R_out, f_{P'}(x))⟩</c>, summed over the batch by the gradient.
/// </summary>
public abstract class WeightRule
{
    /// <summary>Short name (<c>epsilon</c>, <c>gamma</c>, <c>gradient</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Relevance of the layer's parameters given its recorded forward and output relevance.</summary>
    public abstract ParameterRelevance Relevance(AffineLayer layer, LayerRecord record, Tensor relevanceOut);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// <c>P ⊙ ∂/∂P ⟨f(x; P), g(z)⟩</c> with <c>P</c> the layer's parameters, modified by <paramref name="modifier"/>
    /// when given; without a modifier the recorded graph is reused instead of recomputing the forward.
    /// </summary>
    protected static ParameterRelevance ParameterTimesGradient(AffineLayer layer, LayerRecord record,
        Func<Tensor, Tensor> gradOutputOf, Func<Tensor, Tensor>? modifier)
    {
        using var scope = NewDisposeScope();
        Tensor z, wLeaf;
        Tensor? bLeaf;
        using (enable_grad())
        {
            if (modifier is null && !record.GraphUsed)
            {
                z = record.Output; wLeaf = record.WeightLeaf; bLeaf = record.BiasLeaf;
                record.GraphUsed = true;
            }
            else
            {
                wLeaf = (modifier is null ? layer.Weight : modifier(layer.Weight)).detach().requires_grad_(true);
                bLeaf = layer.Bias is null ? null : (modifier is null ? layer.Bias : modifier(layer.Bias)).detach().requires_grad_(true);
                z = layer.Forward(record.Input, wLeaf, bLeaf);
            }
            var g = gradOutputOf(z.detach());
            var leaves = bLeaf is null ? new[] { wLeaf } : new[] { wLeaf, bLeaf };
            var grads = autograd.grad(new[] { z }, leaves, new[] { g });
            var rw = wLeaf.detach().mul(grads[0]).MoveToOuterDisposeScope();
            var rb = bLeaf is null ? null : bLeaf.detach().mul(grads[1]).MoveToOuterDisposeScope();
            return new ParameterRelevance(rw, rb);
        }
    }
}

/// <summary>
/// The reference's default weight rule (<c>--lrp_w_rule epsilon</c>, spec §b.3):
/// <c>R_W = W ⊙ ∂/∂W ⟨f_W(x), R_out / stab(f_W(x))⟩</c> with the layer's actual input, bias included in f.
/// For a linear layer <c>R_W[o,i] = W[o,i] · Σ_n x[n,i] · R_out[n,o] / stab(z[n,o])</c>.
/// </summary>
public sealed class EpsilonWeightRule : WeightRule
{
    /// <summary>Creates the rule (default ε = 1e-6).</summary>
    public EpsilonWeightRule(double epsilon = Stabilizer.DefaultEpsilon) => Epsilon = epsilon;
    /// <summary>Stabiliser ε.</summary>
    public double Epsilon { get; }
    /// <inheritdoc/>
    public override string Name => "epsilon";

    /// <inheritdoc/>
    public override ParameterRelevance Relevance(AffineLayer layer, LayerRecord record, Tensor relevanceOut) =>
        ParameterTimesGradient(layer, record, z => relevanceOut.div(Stabilizer.Stabilize(z, Epsilon)), modifier: null);
}

/// <summary>
/// The reference's alternative weight rule <c>gamma</c> (γ = 0.25): parameters <c>P' = P + γ·P⁺</c>,
/// <c>R_P = P' ⊙ ∂/∂P' ⟨f_{P'}(x), R_out / stab(f_{P'}(x))⟩</c>.
/// </summary>
public sealed class GammaWeightRule : WeightRule
{
    /// <summary>Creates the rule.</summary>
    public GammaWeightRule(double gamma = 0.25, double epsilon = Stabilizer.DefaultEpsilon)
    {
        if (!(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be ≥ 0");
        Gamma = gamma; Epsilon = epsilon;
    }
    /// <summary>γ.</summary>
    public double Gamma { get; }
    /// <summary>Stabiliser ε.</summary>
    public double Epsilon { get; }
    /// <inheritdoc/>
    public override string Name => "gamma";

    /// <inheritdoc/>
    public override ParameterRelevance Relevance(AffineLayer layer, LayerRecord record, Tensor relevanceOut) =>
        ParameterTimesGradient(layer, record, z => relevanceOut.div(Stabilizer.Stabilize(z, Epsilon)),
            p => p.add(p.clamp_min(0).mul(Gamma)));
}

/// <summary>
/// Gradient × parameter: <c>R_P = P ⊙ ∂/∂P ⟨f(x), R_out⟩</c> where <c>R_out</c> is the ordinary back-propagated
/// gradient — with <see cref="GradientRule"/> everywhere this is the true gradient × weight of the explained output.
/// </summary>
public sealed class GradientWeightRule : WeightRule
{
    /// <summary>The shared instance.</summary>
    public static readonly GradientWeightRule Instance = new();
    /// <inheritdoc/>
    public override string Name => "gradient";

    /// <inheritdoc/>
    public override ParameterRelevance Relevance(AffineLayer layer, LayerRecord record, Tensor relevanceOut) =>
        ParameterTimesGradient(layer, record, _ => relevanceOut, modifier: null);
}

/// <summary>Weight rules by name.</summary>
public static class WeightRules
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "epsilon", "gamma" };

    /// <summary>Creates <c>epsilon</c> (default) or <c>gamma</c> (γ = 0.25).</summary>
    public static WeightRule Create(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "epsilon" or "" => new EpsilonWeightRule(),
        "gamma" => new GammaWeightRule(),
        _ => throw new ArgumentException($"unknown LRP weight rule '{name}'. Known: {string.Join(", ", Names)}", nameof(name)),
    };
}
