namespace ECQx.Coding;

/// <summary>
/// Lossless entropy coder of integer levels (spec §d.3): a DeepCABAC-style binarisation
/// (<see cref="LevelBinarizer"/>) coded by an adaptive binary arithmetic coder with per-context
/// probability models, optionally with per-context parameters chosen by a trial pass.
/// <para>
/// Stream layout (all bins arithmetic-coded; the header as bypass bins): 5 bits G (number of "greater
/// than" flags, or the largest magnitude when there is no remainder, see <see cref="LevelStreamShape"/>);
/// 1 bit "Exp-Golomb remainder present"; 1 bit "context parameters signalled"; if set, for every context
/// the stream can use (<see cref="LevelContexts.InUse"/> order) 1 bit "non-default", followed by a 5-bit
/// candidate index when set; then the bins of the levels; then the coder flush. The level count is not in
/// the stream: the container knows it from the tensor shape.
/// </para>
/// </summary>
public static class LevelCoder
{
    /// <summary>
    /// Upper bound on levels per stream byte. No context can become more confident than
    /// P = 1 − 35/2^16, so every bin costs at least 7.6·10^-4 bits and a stream of n bytes holds at most
    /// about 10,430·n bins; the decoder rejects counts above this bound before allocating.
    /// </summary>
    public const int MaxLevelsPerStreamByte = 16384;

    private const int HeaderGreaterThanBits = 5;

    /// <summary>Encodes <paramref name="levels"/> into a self-describing stream (without the count).</summary>
    public static byte[] Encode(ReadOnlySpan<int> levels, CoderOptions? options = null)
    {
        options ??= CoderOptions.Default;
        options.Validate();
        var shape = LevelStreamShape.For(LevelBinarizer.MaxMagnitude(levels), options.GreaterThanFlags);
        int[] contextsInUse = LevelContexts.InUse(shape);

        int[]? choice = null;
        if (options.OptimizeContextParameters && levels.Length > 0)
        {
            var trial = levels[..Math.Min(levels.Length, options.TrialLevels)];
            choice = ContextParameterSearch.Choose(ContextParameterSearch.Costs(trial, shape), contextsInUse);
        }

        var sink = new EncoderSink(levels.Length / 4 + 64);
        sink.Encoder.EncodeBypass((uint)shape.GreaterThanFlags, HeaderGreaterThanBits);
        sink.Encoder.EncodeBypass(shape.HasRemainder ? 1u : 0u, 1);
        sink.Encoder.EncodeBypass(choice is null ? 0u : 1u, 1);
        foreach (int context in contextsInUse)
        {
            int candidate = choice?[context] ?? ContextParameters.DefaultCandidate;
            if (choice is not null)
            {
                if (candidate == ContextParameters.DefaultCandidate)
                {
                    sink.Encoder.EncodeBypass(0, 1);
                }
                else
                {
                    sink.Encoder.EncodeBypass(1, 1);
                    sink.Encoder.EncodeBypass((uint)candidate, ContextParameters.CandidateBits);
                }
            }
            sink.Models[context] = ContextModel.FromCandidate(candidate);
        }
        LevelBinarizer.Binarize(levels, shape, ref sink);
        return sink.Encoder.Finish();
    }

    /// <summary>Decodes <paramref name="count"/> levels from a stream made by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is malformed, truncated, has trailing bytes, or
    /// cannot hold <paramref name="count"/> levels.</exception>
    public static int[] Decode(ReadOnlySpan<byte> stream, int count)
    {
        CheckCount(stream, count);
        var levels = new int[count];
        Decode(stream, levels);
        return levels;
    }

    /// <summary>Decodes <c>destination.Length</c> levels from a stream made by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is malformed, truncated, has trailing bytes, or
    /// cannot hold that many levels.</exception>
    public static void Decode(ReadOnlySpan<byte> stream, Span<int> destination)
    {
        CheckCount(stream, destination.Length);
        var decoder = new RangeDecoder(stream);
        int greaterThanFlags = (int)decoder.DecodeBypass(HeaderGreaterThanBits);
        if (greaterThanFlags > LevelContexts.MaxGreaterThanFlags)
            throw new InvalidDataException(
                $"level stream header names {greaterThanFlags} greater-than flags; at most {LevelContexts.MaxGreaterThanFlags} are allowed.");
        var shape = new LevelStreamShape(greaterThanFlags, decoder.DecodeBypass(1) != 0);
        bool signalled = decoder.DecodeBypass(1) != 0;
        Span<ContextModel> models = stackalloc ContextModel[LevelContexts.Total];
        foreach (int context in LevelContexts.InUse(shape))
        {
            int candidate = ContextParameters.DefaultCandidate;
            if (signalled && decoder.DecodeBypass(1) != 0)
                candidate = (int)decoder.DecodeBypass(ContextParameters.CandidateBits);
            models[context] = ContextModel.FromCandidate(candidate);
        }
        DecodeLevels(ref decoder, models, shape, destination);
        decoder.Finish();
    }

    private static void CheckCount(ReadOnlySpan<byte> stream, int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative.");
        if (count > (long)MaxLevelsPerStreamByte * stream.Length)
            throw new InvalidDataException(
                $"a level stream of {stream.Length} bytes cannot hold {count} levels (at most {MaxLevelsPerStreamByte} per byte).");
    }

    private static void DecodeLevels(ref RangeDecoder decoder, scoped Span<ContextModel> models, LevelStreamShape shape, Span<int> destination)
    {
        int flags = shape.CodedGreaterFlags;
        bool hasRemainder = shape.HasRemainder;
        int previous = 0;
        uint history = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            int level = 0;
            if (decoder.Decode(ref models[LevelContexts.Significance(previous, history)]) != 0)
            {
                if (shape.AllZero)
                    throw new InvalidDataException($"level stream is corrupt: level {i} is non-zero in a stream declared all-zero.");
                bool negative = decoder.Decode(ref models[LevelContexts.Sign(previous)]) != 0;
                int greaterFirst = LevelContexts.GreaterFirst(negative);
                long magnitude = 1;
                int k = 0;
                while (k < flags && decoder.Decode(ref models[greaterFirst + k]) != 0)
                {
                    k++;
                    magnitude++;
                }
                if (hasRemainder && k == flags) magnitude += DecodeExpGolomb(ref decoder, models);
                long limit = negative ? 1L << 31 : int.MaxValue;
                if (magnitude > limit)
                    throw new InvalidDataException($"level stream is corrupt: level {i} has magnitude {magnitude}, outside int32.");
                level = negative ? (int)-magnitude : (int)magnitude;
            }
            destination[i] = level;
            history = (history << 1) | (level != 0 ? 1u : 0u);
            previous = level;
        }
    }

    private static long DecodeExpGolomb(ref RangeDecoder decoder, scoped Span<ContextModel> models)
    {
        int prefixLength = 0;
        while (decoder.Decode(ref models[LevelContexts.Prefix(prefixLength)]) != 0)
        {
            if (++prefixLength > LevelContexts.MaxPrefixLength)
                throw new InvalidDataException("level stream is corrupt: Exp-Golomb prefix longer than 31 bins.");
        }
        ulong value = 1;
        int bit = prefixLength - 1;
        if (bit >= LevelContexts.SuffixCount)
        {
            int bypass = bit - LevelContexts.SuffixCount + 1;
            value = (value << bypass) | decoder.DecodeBypass(bypass);
            bit = LevelContexts.SuffixCount - 1;
        }
        for (; bit >= 0; bit--) value = (value << 1) | (uint)decoder.Decode(ref models[LevelContexts.Suffix(bit)]);
        return (long)(value - 1);
    }

    private ref struct EncoderSink : IBinSink
    {
        internal RangeEncoder Encoder;
        internal Span<ContextModel> Models;

        internal EncoderSink(int initialCapacity)
        {
            Encoder = new RangeEncoder(initialCapacity);
            Models = new ContextModel[LevelContexts.Total];
        }

        public void Bin(int context, int bin) => Encoder.Encode(ref Models[context], bin);

        public void Bypass(uint value, int count) => Encoder.EncodeBypass(value, count);
    }
}
