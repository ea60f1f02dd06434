using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>The LRP denominator stabiliser of the reference zennit fork (spec §b.3).</summary>
public static class Stabilizer
{
    /// <summary>The reference's ε, used everywhere including the "Epsilon" rule (which is therefore LRP-0).</summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary><c>stab(z) = z + (1[z=0] + sign(z))·ε</c>: pushes z away from zero, keeping its sign (zeros become +ε).</summary>
    public static Tensor Stabilize(Tensor z, double epsilon = DefaultEpsilon)
    {
        using var scope = NewDisposeScope();
        var shift = z.eq(0).to_type(z.dtype).add_(z.sign()).mul_(epsilon);
        return z.add(shift).MoveToOuterDisposeScope();
    }
}
