namespace ECQx.Coding.Nnr;

/// <summary>Reads the levels <see cref="NnrLevelEncoder"/> writes (and NNCodec's, for dependent quantization off and scan order 0).</summary>
internal static class NnrLevelDecoder
{
    /// <summary>Decodes <paramref name="destination"/>.Length levels.</summary>
    /// <exception cref="InvalidDataException">A level's remainder would exceed int32 (a damaged stream).</exception>
    internal static void Decode(NnrArithmeticDecoder decoder, Span<int> destination, int unaryLengthMinus1)
    {
        var layout = new NnrLevelContexts(unaryLengthMinus1 + 1);
        var contexts = new NnrContext[layout.Count];
        for (int i = 0; i < contexts.Length; i++) contexts[i] = NnrContext.Create(0);
        for (int i = 0; i < layout.Count; i++)
        {
            if (!layout.IsSignalled(i)) continue;
            int choice = decoder.DecodeBin(ref contexts[layout.InitializationFlag]) != 0 ? 1 + (int)decoder.DecodeBypass(3) : 0;
            contexts[i].Initialize(choice);
        }
        int flags = layout.GreaterThanFlags;
        int previous = 0;
        for (int n = 0; n < destination.Length; n++)
        {
            int neighbour = NnrLevelContexts.NeighbourClass(previous);
            long magnitude = 0;
            bool negative = false;
            if (decoder.DecodeBin(ref contexts[neighbour]) != 0)
            {
                magnitude = 1;
                negative = decoder.DecodeBin(ref contexts[NnrLevelContexts.Sign + neighbour]) != 0;
                int greater = decoder.DecodeBin(ref contexts[NnrLevelContexts.GreaterThanContext(0, negative)]);
                for (int coded = 1; greater != 0 && coded < flags; coded++)
                {
                    magnitude++;
                    greater = decoder.DecodeBin(ref contexts[NnrLevelContexts.GreaterThanContext(coded, negative)]);
                }
                if (greater != 0) magnitude += 1 + Remainder(decoder, contexts, layout.RemainderPrefix);
                if (magnitude > NnrLevelEncoder.MaxMagnitude)
                    throw new InvalidDataException($"level {n} has magnitude {magnitude}, beyond int32");
            }
            int level = negative ? -(int)magnitude : (int)magnitude;
            destination[n] = level;
            previous = level;
        }
    }

    private static long Remainder(NnrArithmeticDecoder decoder, NnrContext[] contexts, int firstContext)
    {
        int context = firstContext;
        if (decoder.DecodeBin(ref contexts[context]) == 0) return 0;
        context++;
        long groupStart = 1;
        int log2 = 1;
        while (decoder.DecodeBin(ref contexts[context]) != 0)
        {
            groupStart += 1L << log2;
            log2++;
            context++;
            if (log2 > 30)
                throw new InvalidDataException("a level's remainder prefix runs past 31 groups (beyond int32)");
        }
        return groupStart + decoder.DecodeBypass(log2);
    }
}
