using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>The LRP denominator stabiliser of the reference zennit fork (spec §b.3).</summary>
public static class Stabilizer
{
    /// <summary>The reference's ε, used everywhere including the "Epsilon" rule (which is therefore LRP-0).</summary>
    public const double DefaultEpsilon = 1e-6;

    /// <summary><c>stab(z) = z + (1[z=0] + sign(z))·ε</c>: pushes z away from zero, keeping its sign (zeros become +ε).</summary>
    /// <remarks>
    /// <c>1[z=0] + sign(z)</c> is +1 for z ≥ 0 (including −0.0) and −1 for z &lt; 0. It is formed as
    /// <c>sign(sign(z) + ½)</c> and the result as <c>±ε + z</c>, which rounds exactly like the reference's
    /// <c>z + (±1)·ε</c>; every step is a plain vectorised float pass (a boolean mask mixed into float arithmetic
    /// is several times slower on the CPU).
    /// </remarks>
    public static Tensor Stabilize(Tensor z, double epsilon = DefaultEpsilon)
    {
        var s = z.sign();
        return s.add_(0.5).sign_().mul_(epsilon).add_(z);
    }
}
