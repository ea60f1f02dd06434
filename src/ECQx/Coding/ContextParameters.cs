namespace ECQx.Coding;

/// <summary>
/// The table of context parameter candidates (initial probability × adaptation rates) that the encoder's
/// trial pass chooses from per context and signals in the stream (spec §d.3, DeepCABAC's "param_opt":
/// per-tensor context initialisation chosen by a pseudo-encode). Candidate index =
/// <c>initIndex * RateCount + rateIndex</c>; it is signalled in <see cref="CandidateBits"/> bits.
/// </summary>
internal static class ContextParameters
{
    /// <summary>Initial P(bin = 1) in units of 2^-16: 0.5, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95, 0.01.</summary>
    private static readonly ushort[] InitialProbabilities = [32768, 19661, 45875, 9830, 55706, 3277, 62259, 655];

    /// <summary>(fast, slow) adaptation shifts: window lengths 2^fast and 2^slow bins.</summary>
    private static readonly (int Fast, int Slow)[] RateShifts = [(4, 7), (5, 8), (6, 10), (3, 6)];

    /// <summary>Number of initial probabilities.</summary>
    internal const int InitCount = 8;

    /// <summary>Number of adaptation-rate pairs.</summary>
    internal const int RateCount = 4;

    /// <summary>Number of candidates.</summary>
    internal const int CandidateCount = InitCount * RateCount;

    /// <summary>Bits that signal a non-default candidate.</summary>
    internal const int CandidateBits = 5;

    /// <summary>The candidate used without optimisation: P = 0.5, shifts (4, 7).</summary>
    internal const int DefaultCandidate = 0;

    /// <summary>Smallest shift in <see cref="RateShifts"/>; bounds how confident a model can become.</summary>
    internal const int SmallestFastShift = 3;

    /// <summary>Smallest slow shift in <see cref="RateShifts"/>.</summary>
    internal const int SmallestSlowShift = 6;

    internal static ushort InitialProbability(int candidate) => InitialProbabilities[candidate / RateCount];

    internal static (int Fast, int Slow) Shifts(int candidate) => RateShifts[candidate % RateCount];

    internal static (int Fast, int Slow) RateShiftsAt(int rateIndex) => RateShifts[rateIndex];

    internal static ushort InitialProbabilityAt(int initIndex) => InitialProbabilities[initIndex];
}
