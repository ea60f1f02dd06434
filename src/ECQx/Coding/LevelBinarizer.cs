using System.Numerics;

namespace ECQx.Coding;

/// <summary>Receives the bins of the level binarisation (the encoder, or the trial cost pass).</summary>
internal interface IBinSink
{
    /// <summary>A context-coded bin.</summary>
    void Bin(int context, int bin);

    /// <summary><paramref name="count"/> bypass bits of <paramref name="value"/>, most significant first.</summary>
    void Bypass(uint value, int count);
}

/// <summary>
/// Binarisation of integer levels in scan order (spec §d.3), shared by the encoder and the trial pass;
/// <see cref="LevelCoder"/> holds the mirrored decoder. Per level: the significance flag (level ≠ 0); if
/// significant, the sign flag (1 = negative), then flags "|level| &gt; k" for k = 1, 2, … until one is 0.
/// With a remainder (see <see cref="LevelStreamShape"/>) there are up to G flags, and if all are 1 the
/// remainder |level| − G − 1 follows as order-0 Exp-Golomb: a unary prefix of context-coded bins, then the
/// suffix bits, most significant first, context-coded by bit weight (bypass from weight 2^16 up).
/// Without a remainder the flags stop at k = M − 1 (truncated unary).
/// </summary>
internal static class LevelBinarizer
{
    internal static void Binarize<TSink>(ReadOnlySpan<int> levels, LevelStreamShape shape, ref TSink sink)
        where TSink : IBinSink, allows ref struct
    {
        int flags = shape.CodedGreaterFlags;
        bool hasRemainder = shape.HasRemainder;
        int previous = 0;
        uint history = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            int level = levels[i];
            int sigContext = LevelContexts.Significance(previous, history);
            if (level == 0)
            {
                sink.Bin(sigContext, 0);
            }
            else
            {
                sink.Bin(sigContext, 1);
                bool negative = level < 0;
                sink.Bin(LevelContexts.Sign(previous), negative ? 1 : 0);
                uint magnitude = negative ? (uint)(-(long)level) : (uint)level;
                int greaterFirst = LevelContexts.GreaterFirst(negative);
                int k = 1;
                for (; k <= flags; k++)
                {
                    int greater = magnitude > (uint)k ? 1 : 0;
                    sink.Bin(greaterFirst + k - 1, greater);
                    if (greater == 0) break;
                }
                if (hasRemainder && k > flags) ExpGolomb(magnitude - (uint)flags - 1, ref sink);
            }
            history = (history << 1) | (level != 0 ? 1u : 0u);
            previous = level;
        }
    }

    /// <summary>Largest |level| (2^31 for int.MinValue).</summary>
    internal static long MaxMagnitude(ReadOnlySpan<int> levels)
    {
        int min = 0, max = 0;
        foreach (int level in levels)
        {
            if (level < min) min = level;
            if (level > max) max = level;
        }
        return Math.Max(-(long)min, max);
    }

    /// <summary>Order-0 Exp-Golomb of <paramref name="remainder"/> (&lt; 2^31).</summary>
    private static void ExpGolomb<TSink>(uint remainder, ref TSink sink) where TSink : IBinSink, allows ref struct
    {
        ulong value = (ulong)remainder + 1;
        int prefixLength = 63 - BitOperations.LeadingZeroCount(value);
        for (int i = 0; i < prefixLength; i++) sink.Bin(LevelContexts.Prefix(i), 1);
        sink.Bin(LevelContexts.Prefix(prefixLength), 0);
        int bit = prefixLength - 1;
        if (bit >= LevelContexts.SuffixCount)
        {
            int bypass = bit - LevelContexts.SuffixCount + 1;
            sink.Bypass((uint)(value >> LevelContexts.SuffixCount) & ((1u << bypass) - 1), bypass);
            bit = LevelContexts.SuffixCount - 1;
        }
        for (; bit >= 0; bit--) sink.Bin(LevelContexts.Suffix(bit), (int)(value >> bit) & 1);
    }
}
