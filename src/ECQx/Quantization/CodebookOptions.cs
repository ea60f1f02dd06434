namespace ECQx.Quantization;

/// <summary>
/// How a per-tensor codebook is initialised from pretrained weights (spec §a.3).
/// </summary>
public sealed record CodebookOptions
{
    /// <summary>The reference defaults: unsigned grids allowed, 99.9th percentile.</summary>
    public static CodebookOptions Default { get; } = new();

    /// <summary>
    /// When true (default, the reference's <c>uint_support</c>), a tensor without any negative entry gets the
    /// unsigned grid <c>{0, …, 2^b − 1}·Δ</c> with <c>Δ = p/(2^b − 1)</c>. When false every tensor gets a signed grid.
    /// </summary>
    public bool UnsignedSupport { get; init; } = true;

    /// <summary>
    /// Percentile of |W| that sets the step (numpy's default linear interpolation). The reference hard-codes 99.9.
    /// Must be in [0, 100].
    /// </summary>
    public double Percentile { get; init; } = 99.9;

    internal void Validate()
    {
        if (!(Percentile >= 0 && Percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "The codebook percentile must be in [0, 100].");
    }
}
