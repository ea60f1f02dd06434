using System.Runtime.CompilerServices;

namespace ECQx.Coding;

/// <summary>
/// Adaptive probability estimate of one binary context (spec §d.3: DeepCABAC codes every non-bypass bin
/// with a context that adapts per bin). Two exponentially decaying estimates of P(bin = 1), a fast one
/// and a slow one, are averaged, in the manner of the dual-rate estimators of VVC/DeepCABAC.
/// Probabilities are 16-bit fixed point; both estimates stay in [1, 65535] by construction, so the coder
/// never sees a zero-width interval.
/// </summary>
internal struct ContextModel
{
    /// <summary>Probability one, 2^16.</summary>
    internal const int One = 1 << 16;

    internal ushort Fast;
    internal ushort Slow;
    internal byte FastShift;
    internal byte SlowShift;

    /// <summary>P(bin = 1) in units of 2^-16, always in [1, 65535].</summary>
    internal readonly uint ProbabilityOfOne
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (uint)(Fast + Slow + 1) >> 1;
    }

    /// <summary>Moves both estimates towards the coded bin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Update(int bin)
    {
        if (bin != 0)
        {
            Fast += (ushort)((One - Fast) >> FastShift);
            Slow += (ushort)((One - Slow) >> SlowShift);
        }
        else
        {
            Fast -= (ushort)(Fast >> FastShift);
            Slow -= (ushort)(Slow >> SlowShift);
        }
    }

    /// <summary>A model in the state given by one of the <see cref="ContextParameters"/> candidates.</summary>
    internal static ContextModel FromCandidate(int candidate)
    {
        ushort p = ContextParameters.InitialProbability(candidate);
        var (fast, slow) = ContextParameters.Shifts(candidate);
        return new ContextModel { Fast = p, Slow = p, FastShift = (byte)fast, SlowShift = (byte)slow };
    }
}
