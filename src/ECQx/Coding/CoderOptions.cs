namespace ECQx.Coding;

/// <summary>Options of the level coder (<see cref="LevelCoder"/>).</summary>
public sealed record CoderOptions
{
    /// <summary>The default options: 10 "greater than" flags, context parameters optimised by a trial pass.</summary>
    public static CoderOptions Default { get; } = new();

    /// <summary>
    /// Number G of context-coded "|level| &gt; k" flags (k = 1..G) before the Exp-Golomb remainder, 0..16.
    /// The reference runs DeepCABAC with <c>cabac_unary_length_minus1 = 10</c> (spec §d.3); 10 covers every
    /// level of a ≤ 5-bit codebook with context-coded bins.
    /// </summary>
    public int GreaterThanFlags { get; init; } = 10;

    /// <summary>
    /// Choose each context's initial probability and adaptation rate by a trial pass and signal the
    /// choice in the stream (DeepCABAC's <c>param_opt</c>, spec §d.3). Off: every context starts at
    /// P = 0.5 with the default rates.
    /// </summary>
    public bool OptimizeContextParameters { get; init; } = true;

    /// <summary>
    /// The trial pass looks at no more than this many leading levels of a tensor (it costs roughly one
    /// encode of that many levels). The choice still applies to the whole tensor.
    /// </summary>
    public int TrialLevels { get; init; } = 1 << 18;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (GreaterThanFlags is < 0 or > LevelContexts.MaxGreaterThanFlags)
            throw new ArgumentOutOfRangeException(nameof(GreaterThanFlags), GreaterThanFlags,
                $"GreaterThanFlags must be in 0..{LevelContexts.MaxGreaterThanFlags}.");
        if (TrialLevels < 1)
            throw new ArgumentOutOfRangeException(nameof(TrialLevels), TrialLevels, "TrialLevels must be positive.");
    }
}
