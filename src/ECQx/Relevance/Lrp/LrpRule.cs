using ECQx.Relevance.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Lrp;

/// <summary>
/// An LRP rule: how relevance arriving at a layer's output is redistributed to its input. Rules are small,
/// stateless objects; a <see cref="LrpComposite"/> assigns them to layers.
/// </summary>
public abstract class LrpRule
{
    /// <summary>Short name (e.g. <c>epsilon</c>, <c>zplus</c>).</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// A rule for a layer with parameters (convolution, linear, batch norm in affine form). Layers under such a
/// rule are "hooked" in zennit's sense, so the composite's weight rule also gives their parameters relevance.
/// </summary>
public abstract class AffineRule : LrpRule
{
    /// <summary>Input relevance of <paramref name="layer"/> for input <paramref name="input"/> and output relevance <paramref name="relevanceOut"/>.</summary>
    public abstract Tensor Relevance(AffineLayer layer, Tensor input, Tensor relevanceOut);
}

/// <summary>
/// Pass: relevance goes through unchanged (zennit's <c>Pass</c>; used for batch norm and activation modules in
/// the <c>…_bn_pass</c> composites). Only valid for layers whose output has their input's shape.
/// </summary>
public sealed class PassRule : LrpRule
{
    /// <summary>The shared instance.</summary>
    public static readonly PassRule Instance = new();
    /// <inheritdoc/>
    public override string Name => "pass";
}

/// <summary>
/// Norm: <c>R_x = x ⊙ ∂/∂x ⟨f(x), R / stab(f(x))⟩</c> for parameterless layers (average pools, the option-A
/// shortcut, hooked sums) — relevance in proportion to each input's share of the output (spec §b.3).
/// </summary>
public sealed class NormRule : LrpRule
{
    /// <summary>Creates the rule with stabiliser <paramref name="epsilon"/>.</summary>
    public NormRule(double epsilon = Stabilizer.DefaultEpsilon) => Epsilon = epsilon;
    /// <summary>The shared instance with the reference ε.</summary>
    public static readonly NormRule Instance = new();
    /// <summary>Stabiliser ε.</summary>
    public double Epsilon { get; }
    /// <inheritdoc/>
    public override string Name => "norm";
}

/// <summary>
/// Gradient: the plain chain rule <c>R_x = Jᵀ R</c> — what an un-hooked operation does to the backward signal
/// (a ReLU masks, an average pool divides, a reshape reshapes). As an <see cref="AffineRule"/> it can also be
/// assigned to weighted layers (used by the gradient × weight control).
/// </summary>
public sealed class GradientRule : AffineRule
{
    /// <summary>The shared instance.</summary>
    public static readonly GradientRule Instance = new();
    /// <inheritdoc/>
    public override string Name => "gradient";

    /// <inheritdoc/>
    public override Tensor Relevance(AffineLayer layer, Tensor input, Tensor relevanceOut) =>
        InputGradient.Of(x => layer.Forward(x, layer.Weight, layer.Bias), input, relevanceOut);
}

/// <summary>Vector–Jacobian products of single layers with autograd.</summary>
public static class InputGradient
{
    /// <summary><c>∂/∂x ⟨f(x), g⟩</c> at <paramref name="input"/>.</summary>
    public static Tensor Of(Func<Tensor, Tensor> f, Tensor input, Tensor gradOutput)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var x = input.detach().requires_grad_(true);
        var y = f(x);
        if (!y.shape.SequenceEqual(gradOutput.shape))
            throw new InvalidOperationException($"relevance of shape [{string.Join(", ", gradOutput.shape)}] does not match layer output [{string.Join(", ", y.shape)}]");
        var g = autograd.grad(new[] { y }, new[] { x }, new[] { gradOutput })[0];
        return g.MoveToOuterDisposeScope();
    }
}
