using System.Numerics;
using System.Runtime.CompilerServices;

namespace ECQx.Coding;

/// <summary>
/// Context layout of the level binarisation (spec §d.3). Every context index is computed here, so the
/// encoder, the decoder and the trial pass agree by construction.
/// <list type="bullet">
/// <item>significance flag: 3 classes of the previous level's magnitude (0, 1, ≥2) × 3 classes of how many of
/// the 8 levels before that were non-zero (0, 1–2, ≥3);</item>
/// <item>sign flag: previous level zero, positive or negative;</item>
/// <item>"greater than k" flags: one context per k and sign;</item>
/// <item>Exp-Golomb prefix bins of the remainder: one context per prefix position (the last one shared);</item>
/// <item>Exp-Golomb suffix bits: one context per bit weight 2^j for j &lt; 16 (for a Laplacian remainder the
/// binary digits are independent, so this captures its shape); bits of weight ≥ 2^16 are bypass bins.</item>
/// </list>
/// </summary>
internal static class LevelContexts
{
    /// <summary>Largest number of "greater than k" flags a stream may use.</summary>
    internal const int MaxGreaterThanFlags = 16;

    internal const int SigBase = 0;
    internal const int SigCount = 9;
    internal const int SignBase = SigBase + SigCount;
    internal const int SignCount = 3;
    internal const int GreaterBase = SignBase + SignCount;
    internal const int GreaterCount = 2 * MaxGreaterThanFlags;
    internal const int PrefixBase = GreaterBase + GreaterCount;
    internal const int PrefixCount = 12;
    internal const int SuffixBase = PrefixBase + PrefixCount;
    internal const int SuffixCount = 16;

    /// <summary>Size of the context array.</summary>
    internal const int Total = SuffixBase + SuffixCount;

    /// <summary>Longest Exp-Golomb prefix a valid stream contains (the remainder is below 2^31).</summary>
    internal const int MaxPrefixLength = 31;

    /// <summary>Neighbourhood count (0..8 non-zeros) → class.</summary>
    private static ReadOnlySpan<byte> NeighbourClass => [0, 1, 1, 2, 2, 2, 2, 2, 2];

    /// <summary>
    /// Significance context from the previous level and the non-zero history (bit i set = level i+1 places
    /// back was non-zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Significance(int previous, uint history)
    {
        int near = previous == 0 ? 0 : (previous == 1 || previous == -1) ? 1 : 2;
        int far = NeighbourClass[BitOperations.PopCount(history & 0x1FEu)];
        return SigBase + near * 3 + far;
    }

    /// <summary>Sign context from the previous level.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Sign(int previous) => SignBase + (previous == 0 ? 0 : previous > 0 ? 1 : 2);

    /// <summary>Context of the flag "|level| &gt; 1"; the flag for k uses this + k − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int GreaterFirst(bool negative) => GreaterBase + (negative ? MaxGreaterThanFlags : 0);

    /// <summary>Context of the Exp-Golomb prefix bin at position <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Prefix(int index) => PrefixBase + Math.Min(index, PrefixCount - 1);

    /// <summary>Context of the suffix bit of weight 2^<paramref name="bit"/> (only for bit &lt; <see cref="SuffixCount"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Suffix(int bit) => SuffixBase + bit;

    /// <summary>
    /// Contexts a stream with the given header can touch, in the order their parameters are signalled.
    /// </summary>
    internal static int[] InUse(LevelStreamShape shape)
    {
        var list = new List<int>(Total);
        for (int i = 0; i < SigCount; i++) list.Add(SigBase + i);
        if (!shape.AllZero)
        {
            for (int i = 0; i < SignCount; i++) list.Add(SignBase + i);
            for (int s = 0; s < 2; s++)
                for (int k = 0; k < shape.CodedGreaterFlags; k++) list.Add(GreaterFirst(s == 1) + k);
        }
        if (shape.HasRemainder)
        {
            for (int i = 0; i < PrefixCount; i++) list.Add(PrefixBase + i);
            for (int i = 0; i < SuffixCount; i++) list.Add(SuffixBase + i);
        }
        return list.ToArray();
    }
}

/// <summary>
/// How the magnitudes of one stream are binarised, signalled in its header. With a remainder, G flags
/// "|level| &gt; k" (k = 1..G) precede an Exp-Golomb remainder. Without one, every magnitude is at most
/// <see cref="GreaterThanFlags"/> = M, and the flags form a truncated unary code of M − 1 flags
/// (the encoder picks this when the largest magnitude fits, which is always the case for ≤ 5-bit
/// codebooks at the default G).
/// </summary>
/// <param name="GreaterThanFlags">G with a remainder; the largest magnitude M without one (0 = all levels zero).</param>
/// <param name="HasRemainder">Whether magnitudes above G are coded with an Exp-Golomb remainder.</param>
internal readonly record struct LevelStreamShape(int GreaterThanFlags, bool HasRemainder)
{
    /// <summary>No level can be non-zero.</summary>
    internal bool AllZero => GreaterThanFlags == 0 && !HasRemainder;

    /// <summary>Number of "greater than" flags a magnitude can have coded.</summary>
    internal int CodedGreaterFlags => HasRemainder ? GreaterThanFlags : Math.Max(GreaterThanFlags - 1, 0);

    /// <summary>The shape the encoder uses for levels whose largest magnitude is <paramref name="maxMagnitude"/>.</summary>
    internal static LevelStreamShape For(long maxMagnitude, int greaterThanFlags) =>
        maxMagnitude <= greaterThanFlags
            ? new LevelStreamShape((int)maxMagnitude, false)
            : new LevelStreamShape(greaterThanFlags, true);
}
