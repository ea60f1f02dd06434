using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>How the gradient of a quantized weight is scaled on its way to the full-precision weight (spec §a.5).</summary>
public enum GradientScaling
{
    /// <summary><c>g·c</c> with the signed centroid: a negative cluster flips the sign (the reference / EC2T; default).</summary>
    SignedCentroid,

    /// <summary><c>g·|c|</c>: scale by the centroid's magnitude (TTQ-style).</summary>
    Magnitude,
}

/// <summary>
/// The scaled straight-through estimator of spec §a.5: the gradient w.r.t. the quantized weights becomes the
/// gradient of the full-precision background weights.
/// </summary>
public static class StraightThroughEstimator
{
    /// <summary>A tensor with more distinct values than this is treated as not quantized and passed through.</summary>
    public const int MaxDistinctValues = 256;

    /// <summary>
    /// <c>∂L/∂w = c·g</c> where the quantized value c is non-zero (<c>|c|·g</c> for <see cref="GradientScaling.Magnitude"/>),
    /// <c>g</c> where it is zero. If <paramref name="quantizedWeights"/> has more than 256 distinct values, <c>g</c> is
    /// passed through unchanged (as the reference does). Always returns a new tensor (gradient dtype and device).
    /// Counting distinct values sorts the tensor; use the <see cref="EcqAssignment"/> overload in hot loops.
    /// </summary>
    public static Tensor ScaleGradient(Tensor gradient, Tensor quantizedWeights, GradientScaling scaling = GradientScaling.SignedCentroid)
    {
        Check(gradient, quantizedWeights);
        using var scope = torch.NewDisposeScope();
        var (distinct, _, _) = torch.unique(quantizedWeights.detach());
        if (distinct.numel() > MaxDistinctValues) return gradient.detach().clone().MoveToOuterDisposeScope();
        return Scale(gradient, quantizedWeights, scaling).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="ScaleGradient(Tensor, Tensor, GradientScaling)"/> for a tensor this library quantized: its values
    /// come from a codebook of at most 256 levels, so no distinct-value count is needed.
    /// </summary>
    public static Tensor ScaleGradient(Tensor gradient, EcqAssignment quantized, GradientScaling scaling = GradientScaling.SignedCentroid)
    {
        ArgumentNullException.ThrowIfNull(quantized);
        Check(gradient, quantized.Values);
        using var scope = torch.NewDisposeScope();
        return Scale(gradient, quantized.Values, scaling).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="ScaleGradient(Tensor, Tensor, GradientScaling)"/> when <paramref name="quantizedWeights"/> should lie
    /// on <paramref name="codebook"/>: a check that every value is a centroid (<see cref="Codebook.Holds"/>, a few
    /// elementwise passes) replaces the distinct-value count; values off the grid take the general overload.
    /// </summary>
    public static Tensor ScaleGradient(Tensor gradient, Tensor quantizedWeights, Codebook codebook, GradientScaling scaling = GradientScaling.SignedCentroid)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        Check(gradient, quantizedWeights);
        if (!codebook.Holds(quantizedWeights)) return ScaleGradient(gradient, quantizedWeights, scaling);
        using var scope = torch.NewDisposeScope();
        return Scale(gradient, quantizedWeights, scaling).MoveToOuterDisposeScope();
    }

    private static Tensor Scale(Tensor gradient, Tensor q, GradientScaling scaling)
    {
        var qv = q.detach().to(gradient.dtype, gradient.device);
        var factor = scaling == GradientScaling.Magnitude ? qv.abs() : qv.clone();
        factor.masked_fill_(qv.eq(0), 1);
        return gradient.detach() * factor;
    }

    private static void Check(Tensor gradient, Tensor q)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        ArgumentNullException.ThrowIfNull(q);
        if (!gradient.shape.SequenceEqual(q.shape))
            throw new ArgumentException(
                $"Gradient shape [{string.Join(", ", gradient.shape)}] does not match the quantized weights' shape [{string.Join(", ", q.shape)}].",
                nameof(gradient));
    }
}
