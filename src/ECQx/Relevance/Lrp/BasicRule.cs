using ECQx.Relevance.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Lrp;

/// <summary>How a <see cref="RuleTerm"/> modifies the layer input.</summary>
public enum InputModifier
{
    /// <summary>x unchanged.</summary>
    Identity,
    /// <summary>x⁺ = max(x, 0).</summary>
    Positive,
    /// <summary>x⁻ = min(x, 0); the term's bias is dropped (zennit multiplies it by min(1, 0) = 0).</summary>
    Negative,
    /// <summary>x replaced by ones; the term's gradient is used without multiplying by x (Flat, WSquare).</summary>
    Ones,
}

/// <summary>How a <see cref="RuleTerm"/> modifies the layer's weight and bias.</summary>
/// <param name="Apply">The modification, applied to the weight and to the bias.</param>
/// <param name="NonNegative">Whether <see cref="Apply"/> always returns non-negative values (W⁺); with a non-negative
/// input the term's output is then non-negative, which lets the rule stabilise it in one pass.</param>
public sealed record ParameterModifier(Func<Tensor, Tensor> Apply, bool NonNegative = false)
{
    /// <summary>p unchanged.</summary>
    public static ParameterModifier Identity { get; } = new(p => p);
    /// <summary>p⁺ = max(p, 0).</summary>
    public static ParameterModifier Positive { get; } = new(p => p.clamp_min(0), NonNegative: true);
    /// <summary>p⁻ = min(p, 0).</summary>
    public static ParameterModifier Negative { get; } = new(p => p.clamp_max(0));
}

/// <summary>
/// One term of a basic LRP rule: a modified input, a parameter modifier (applied to weight and bias) and the
/// term's coefficient in the final sum.
/// </summary>
/// <param name="Input">Input modifier.</param>
/// <param name="Parameter">Parameter modifier, applied to the weight and to the bias.</param>
/// <param name="Coefficient">Multiplier of this term's relevance.</param>
public sealed record RuleTerm(InputModifier Input, ParameterModifier Parameter, double Coefficient = 1.0);

/// <summary>
/// The zennit "BasicHook" family (spec §b.3): <c>R_x = Σ_t c_t · x_t ⊙ ∂/∂x_t ⟨f_{θ_t}(x_t), R / stab(f_{θ_t}(x_t))⟩</c>,
/// every term normalised by <em>its own</em> output (this fork's convention; upstream zennit shares one
/// denominator between the terms of z⁺ / α-β). The gradient is taken with autograd on the single layer,
/// which for a convolution is the transposed convolution with the modified kernel.
/// </summary>
public abstract class BasicRule : AffineRule
{
    /// <summary>Creates the rule with stabiliser <paramref name="epsilon"/>.</summary>
    protected BasicRule(double epsilon) => Epsilon = epsilon;

    /// <summary>The stabiliser ε of <see cref="Stabilizer.Stabilize"/>.</summary>
    public double Epsilon { get; }

    /// <summary>The rule's terms.</summary>
    public abstract IReadOnlyList<RuleTerm> Terms { get; }

    /// <inheritdoc/>
    public override Tensor Relevance(AffineLayer layer, Tensor input, Tensor relevanceOut)
    {
        using var scope = NewDisposeScope();
        bool signed = Terms.Any(t => t.Input is InputModifier.Positive or InputModifier.Negative);
        bool hasPositive = true, hasNegative = true;
        if (signed)
        {
            using var dense = MemoryLayout.DenseOrderView(input);
            var (min, max) = dense.aminmax();
            hasNegative = min.ToDouble() < 0;
            hasPositive = max.ToDouble() > 0;
        }
        Tensor? positive = null, negative = null;
        Tensor? total = null;
        foreach (var term in Terms)
        {
            // A sign-restricted input that is all zero contributes exactly 0 (x ⊙ finite gradient): skip the work.
            if ((term.Input == InputModifier.Positive && !hasPositive) || (term.Input == InputModifier.Negative && !hasNegative)) continue;
            var x = term.Input switch
            {
                InputModifier.Identity => input,
                InputModifier.Positive => positive ??= hasNegative ? input.clamp_min(0) : input,
                InputModifier.Negative => negative ??= hasPositive ? input.clamp_max(0) : input,
                InputModifier.Ones => ones_like(input),
                _ => throw new ArgumentOutOfRangeException(nameof(term.Input)),
            };
            bool multiplyByInput = term.Input != InputModifier.Ones;
            var w = term.Parameter.Apply(layer.Weight);
            Tensor? b = layer.Bias is null || term.Input == InputModifier.Negative ? null : term.Parameter.Apply(layer.Bias);
            // x ≥ 0 with W, b ≥ 0 gives z ≥ 0 (sums of non-negative products), where stab(z) = z + ε exactly as
            // zennit's z + (1[z=0] + sign z)·ε: one in-place pass instead of the general three.
            bool nonNegativeOutput = term.Input == InputModifier.Positive && !hasNegative && term.Parameter.NonNegative;
            Tensor grad;
            using (enable_grad())
            {
                var xr = x.detach().requires_grad_(true);
                var z = layer.Forward(xr, w, b);
                Tensor g;
                using (no_grad())
                {
                    // z itself is not saved by the layer's backward, so its storage can hold the stabilised denominator.
                    var s = nonNegativeOutput ? z.detach().add_(Epsilon) : Stabilizer.Stabilize(z.detach(), Epsilon);
                    g = relevanceOut.div(s);
                }
                grad = autograd.grad(new[] { z }, new[] { xr }, new[] { g })[0];
            }
            var r = multiplyByInput ? grad.mul_(x) : grad;
            if (term.Coefficient != 1.0) r = r.mul_(term.Coefficient);
            total = total is null ? r : total.add_(r);
        }
        return (total ?? zeros_like(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The parameter modifier p (unchanged).</summary>
    protected static ParameterModifier Same => ParameterModifier.Identity;
    /// <summary>The parameter modifier p⁺.</summary>
    protected static ParameterModifier Positive => ParameterModifier.Positive;
    /// <summary>The parameter modifier p⁻.</summary>
    protected static ParameterModifier Negative => ParameterModifier.Negative;
}

/// <summary>
/// Epsilon (LRP-ε): one term with the unmodified input and parameters, bias included. With the reference's
/// ε = 1e-6 (spec §b.3) it is effectively LRP-0.
/// </summary>
public sealed class EpsilonRule : BasicRule
{
    private readonly RuleTerm[] _terms = { new(InputModifier.Identity, Same) };
    /// <summary>Creates the rule (default ε = 1e-6 as in the reference).</summary>
    public EpsilonRule(double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon) { }
    /// <inheritdoc/>
    public override string Name => "epsilon";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}

/// <summary>
/// z⁺ as in this zennit fork (spec §b.3): terms <c>(x⁺, W⁺, b⁺)</c> and <c>(x⁻, W⁻, 0)</c>, each normalised by its
/// own output. For non-negative inputs (every ReLU output) it is the classic z⁺ rule; it equals α1β0 of
/// <see cref="AlphaBetaRule"/>.
/// </summary>
public sealed class ZPlusRule : BasicRule
{
    private readonly RuleTerm[] _terms = { new(InputModifier.Positive, Positive), new(InputModifier.Negative, Negative) };
    /// <summary>Creates the rule.</summary>
    public ZPlusRule(double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon) { }
    /// <inheritdoc/>
    public override string Name => "zplus";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}

/// <summary>
/// α-β as in this zennit fork: <c>α·[(x⁺,W⁺,b⁺) + (x⁻,W⁻,0)] − β·[(x⁺,W⁻,b⁻) + (x⁻,W⁺,0)]</c>, each of the four
/// terms normalised by its own output. Requires α, β ≥ 0 and α − β = 1.
/// </summary>
public sealed class AlphaBetaRule : BasicRule
{
    private readonly RuleTerm[] _terms;

    /// <summary>Creates α-β (default α = 2, β = 1).</summary>
    public AlphaBetaRule(double alpha = 2, double beta = 1, double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon)
    {
        if (alpha < 0 || beta < 0) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha ({alpha}) and beta ({beta}) must be non-negative");
        if (Math.Abs(alpha - beta - 1) > 1e-12) throw new ArgumentException($"alpha − beta must equal 1, got alpha {alpha}, beta {beta}");
        Alpha = alpha; Beta = beta;
        _terms = new RuleTerm[]
        {
            new(InputModifier.Positive, Positive, alpha), new(InputModifier.Negative, Negative, alpha),
            new(InputModifier.Positive, Negative, -beta), new(InputModifier.Negative, Positive, -beta),
        };
    }

    /// <summary>α.</summary>
    public double Alpha { get; }
    /// <summary>β.</summary>
    public double Beta { get; }
    /// <inheritdoc/>
    public override string Name => $"alpha{Alpha:0.###}_beta{Beta:0.###}";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}

/// <summary>Gamma: parameters <c>p + γ·p⁺</c> (bias included), unmodified input, one term.</summary>
public sealed class GammaRule : BasicRule
{
    private readonly RuleTerm[] _terms;
    /// <summary>Creates the rule (default γ = 0.25 as zennit).</summary>
    public GammaRule(double gamma = 0.25, double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon)
    {
        if (!(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be ≥ 0");
        Gamma = gamma;
        _terms = new[] { new RuleTerm(InputModifier.Identity, new ParameterModifier(p => p.add(p.clamp_min(0).mul(gamma)))) };
    }
    /// <summary>γ.</summary>
    public double Gamma { get; }
    /// <inheritdoc/>
    public override string Name => $"gamma{Gamma:0.###}";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}

/// <summary>
/// Flat: input and all parameters replaced by ones; the result is the gradient only (no multiplication by x).
/// Used for the first layer; it only shapes the input relevance (spec §b.3).
/// </summary>
public sealed class FlatRule : BasicRule
{
    private readonly RuleTerm[] _terms = { new(InputModifier.Ones, new ParameterModifier(p => ones_like(p), NonNegative: true)) };
    /// <summary>Creates the rule.</summary>
    public FlatRule(double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon) { }
    /// <inheritdoc/>
    public override string Name => "flat";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}

/// <summary>WSquare: input replaced by ones, parameters squared; the result is the gradient only.</summary>
public sealed class WSquareRule : BasicRule
{
    private readonly RuleTerm[] _terms = { new(InputModifier.Ones, new ParameterModifier(p => p.square(), NonNegative: true)) };
    /// <summary>Creates the rule.</summary>
    public WSquareRule(double epsilon = Stabilizer.DefaultEpsilon) : base(epsilon) { }
    /// <inheritdoc/>
    public override string Name => "wsquare";
    /// <inheritdoc/>
    public override IReadOnlyList<RuleTerm> Terms => _terms;
}
