namespace ECQx.Coding.Nnr;

/// <summary>Options for writing an NNR bitstream (<see cref="NnrModelFile"/>).</summary>
public sealed record NnrWriteOptions
{
    /// <summary>The defaults: NNCodec's <c>cabac_unary_length_minus1 = 10</c>, context initialisations optimised.</summary>
    public static NnrWriteOptions Default { get; } = new();

    /// <summary><c>cabac_unary_length_minus1</c> (0..255): the number of context-coded "greater than" flags minus one.</summary>
    public int UnaryLengthMinus1 { get; init; } = 10;

    /// <summary>Choose each context's initialisation by a trial pass (NNCodec's <c>param_opt</c>); off: all default.</summary>
    public bool OptimizeContextInitialization { get; init; } = true;

    /// <summary>
    /// The trial pass looks at no more than this many leading levels of a tensor (it costs about four encodes of that
    /// many levels); the choice applies to the whole tensor. NNCodec looks at all levels.
    /// </summary>
    public int TrialLevels { get; init; } = 1 << 18;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (UnaryLengthMinus1 is < 0 or > NnrLevelContexts.MaxUnaryLengthMinus1)
            throw new ArgumentOutOfRangeException(nameof(UnaryLengthMinus1), UnaryLengthMinus1, $"UnaryLengthMinus1 must be in 0..{NnrLevelContexts.MaxUnaryLengthMinus1}.");
        if (TrialLevels < 1) throw new ArgumentOutOfRangeException(nameof(TrialLevels), TrialLevels, "TrialLevels must be positive.");
    }
}
