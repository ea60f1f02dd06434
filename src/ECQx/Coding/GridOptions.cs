namespace ECQx.Coding;

/// <summary>How float tensors are matched to a uniform grid <c>k·Δ</c> before their levels are coded.</summary>
public sealed record GridOptions
{
    /// <summary>The defaults.</summary>
    public static GridOptions Default { get; } = new();

    /// <summary>
    /// Largest accepted distance of a value from its grid point, as a fraction of the step Δ (default 10^-3).
    /// Values within it that the grid formula does not reproduce bit-exactly are kept exactly as value patches.
    /// </summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Largest level span, in bits, accepted for an inferred grid (default 16).</summary>
    public int MaxInferredBitWidth { get; init; } = 16;

    /// <summary>Largest divisor of the smallest gap tried when inferring the step (default 16).</summary>
    public int MaxStepDivisor { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (!(Tolerance > 0 && Tolerance < 0.5))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be in (0, 0.5).");
        if (MaxInferredBitWidth is < 1 or > 31)
            throw new ArgumentOutOfRangeException(nameof(MaxInferredBitWidth), MaxInferredBitWidth, "MaxInferredBitWidth must be in 1..31.");
        if (MaxStepDivisor < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxStepDivisor), MaxStepDivisor, "MaxStepDivisor must be positive.");
    }
}
