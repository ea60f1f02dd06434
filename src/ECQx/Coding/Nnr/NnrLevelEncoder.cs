namespace ECQx.Coding.Nnr;

/// <summary>
/// Writes one tensor's integer levels (row-major, no dependent quantization, scan order 0) into an
/// <see cref="NnrArithmeticEncoder"/> with NNR's binarization: significance flag (context by the previous level's
/// sign), sign flag (same contexts), up to G greater-than flags, then a remainder coded as a context-coded unary
/// exponent prefix and bypass suffix. Before the levels, each context's initialisation (0 = default, 1..8 chosen by a
/// trial pass over the first <c>trialLevels</c> levels when <c>optimize</c> is set) is signalled.
/// </summary>
internal static class NnrLevelEncoder
{
    /// <summary>Largest level magnitude the binarization codes (the remainder prefix has 32 contexts).</summary>
    internal const int MaxMagnitude = int.MaxValue;

    /// <summary>Codes <paramref name="levels"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A level's magnitude exceeds <see cref="MaxMagnitude"/>.</exception>
    internal static void Encode(NnrArithmeticEncoder encoder, ReadOnlySpan<int> levels, int unaryLengthMinus1, bool optimize,
        int trialLevels = 1 << 18)
    {
        var layout = new NnrLevelContexts(unaryLengthMinus1 + 1);
        for (int i = 0; i < levels.Length; i++)
            if (levels[i] == int.MinValue)
                throw new ArgumentOutOfRangeException(nameof(levels), levels[i], $"level at index {i} is outside ±{MaxMagnitude}");
        var contexts = new NnrContext[layout.Count];
        for (int i = 0; i < contexts.Length; i++) contexts[i] = NnrContext.Create(0);
        int[] choice = optimize ? NnrInitializationSearch.Choose(levels[..Math.Min(levels.Length, trialLevels)], layout) : new int[layout.Count];
        for (int i = 0; i < layout.Count; i++)
        {
            if (!layout.IsSignalled(i)) continue;
            encoder.EncodeBin(ref contexts[layout.InitializationFlag], choice[i] != 0 ? 1 : 0);
            if (choice[i] != 0) encoder.EncodeBypass((uint)(choice[i] - 1), 3);
            contexts[i].Initialize(choice[i]);
        }
        var sink = new CodingSink(encoder, contexts);
        NnrBinarization.Binarize(levels, layout, ref sink);
    }

    private struct CodingSink(NnrArithmeticEncoder encoder, NnrContext[] contexts) : NnrBinarization.IBinSink
    {
        public void Bin(int context, int bin) => encoder.EncodeBin(ref contexts[context], bin);

        public void Bypass(uint value, int count) => encoder.EncodeBypass(value, count);
    }
}

/// <summary>The bin sequence of NNR's level binarization (shared by the encoder and the initialisation search).</summary>
internal static class NnrBinarization
{
    /// <summary>Receives the bins of <see cref="Binarize"/>.</summary>
    internal interface IBinSink
    {
        /// <summary>A context-coded bin.</summary>
        void Bin(int context, int bin);

        /// <summary>Bypass bins (low <paramref name="count"/> bits of <paramref name="value"/>).</summary>
        void Bypass(uint value, int count);
    }

    /// <summary>Emits the bins of <paramref name="levels"/> in coding order.</summary>
    internal static void Binarize<TSink>(ReadOnlySpan<int> levels, NnrLevelContexts layout, ref TSink sink) where TSink : struct, IBinSink
    {
        int previous = 0;
        int flags = layout.GreaterThanFlags;
        foreach (int level in levels)
        {
            int neighbour = NnrLevelContexts.NeighbourClass(previous);
            sink.Bin(neighbour, level != 0 ? 1 : 0);
            if (level != 0)
            {
                bool negative = level < 0;
                sink.Bin(NnrLevelContexts.Sign + neighbour, negative ? 1 : 0);
                uint remaining = (uint)Math.Abs(level) - 1;
                int greater = remaining != 0 ? 1 : 0;
                sink.Bin(NnrLevelContexts.GreaterThanContext(0, negative), greater);
                for (int coded = 1; greater != 0 && coded < flags; coded++)
                {
                    remaining--;
                    greater = remaining != 0 ? 1 : 0;
                    sink.Bin(NnrLevelContexts.GreaterThanContext(coded, negative), greater);
                }
                if (greater != 0) Remainder(remaining - 1, layout.RemainderPrefix, ref sink);
            }
            previous = level;
        }
    }

    /// <summary>The remainder: unary prefix of exponent groups (group k holds 2^k values) with one context each, then the offset in its group.</summary>
    private static void Remainder<TSink>(uint value, int firstContext, ref TSink sink) where TSink : struct, IBinSink
    {
        int context = firstContext;
        if (value == 0)
        {
            sink.Bin(context, 0);
            return;
        }
        sink.Bin(context++, 1);
        uint groupStart = 1;
        int log2 = 1;
        while (value > groupStart + (1u << log2) - 1)
        {
            sink.Bin(context++, 1);
            groupStart += 1u << log2;
            log2++;
        }
        sink.Bin(context, 0);
        sink.Bypass(value - groupStart, log2);
    }
}
