namespace ECQx.Coding.Nnr;

/// <summary>
/// The context layout of NNR's level binarization for <c>G = cabac_unary_length_minus1 + 1</c> "greater than" flags:
/// 24 significance contexts (3 per dependent-quantization state; without dependent quantization only state 0's three
/// are used), 3 sign contexts, 2·G greater-than contexts (by flag index and sign), 32 contexts of the remainder's
/// unary prefix, and 4 more, of which the second last codes the per-context initialisation flags.
/// </summary>
internal readonly record struct NnrLevelContexts(int GreaterThanFlags)
{
    /// <summary>Largest <c>cabac_unary_length_minus1</c> the 8-bit header field can carry.</summary>
    internal const int MaxUnaryLengthMinus1 = 255;

    /// <summary>First sign context.</summary>
    internal const int Sign = 24;

    /// <summary>First greater-than context.</summary>
    internal const int GreaterThan = 27;

    /// <summary>Number of remainder-prefix contexts.</summary>
    internal const int RemainderPrefixCount = 32;

    /// <summary>First remainder-prefix context.</summary>
    internal int RemainderPrefix => GreaterThan + 2 * GreaterThanFlags;

    /// <summary>Total number of contexts.</summary>
    internal int Count => RemainderPrefix + RemainderPrefixCount + 4;

    /// <summary>The context that codes whether a context starts from a signalled initialisation.</summary>
    internal int InitializationFlag => Count - 2;

    /// <summary>Whether context <paramref name="index"/> has a signalled initialisation (without dependent quantization).</summary>
    internal bool IsSignalled(int index) => index < Count - 4 && (index <= 2 || index >= 24);

    /// <summary>The neighbour class of the previous level: 0 zero, 1 negative, 2 positive.</summary>
    internal static int NeighbourClass(int previous) => previous == 0 ? 0 : previous < 0 ? 1 : 2;

    /// <summary>The greater-than context of flag <paramref name="flag"/> (0-based) of a level of sign <paramref name="negative"/>.</summary>
    internal static int GreaterThanContext(int flag, bool negative) => GreaterThan + 2 * flag + (negative ? 1 : 0);
}
