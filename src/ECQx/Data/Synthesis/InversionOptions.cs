namespace ECQx.Data.Synthesis;

/// <summary>
/// Settings of <see cref="BatchNormInversion"/>: the loss weights, the optimiser and the per-step augmentation. The defaults
/// are the ones the bundled synthesized CIFAR-10 set was made with (data/README.md).
/// </summary>
public sealed record InversionOptions
{
    /// <summary>Adam steps on the pixels per batch.</summary>
    public int Iterations { get; init; } = 30;

    /// <summary>Images optimised together: the batch norms' statistics are matched over this batch.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam learning rate at the first step; it decays to zero over <see cref="Iterations"/> on a cosine.</summary>
    public double LearningRate { get; init; } = 0.2;

    /// <summary>Weight of the summed batch-norm statistics distances (<see cref="BatchNormStatistics"/>).</summary>
    public double BatchNormWeight { get; init; } = 1.0;

    /// <summary>Extra factor on the first batch norm's distance (DeepInversion weights the first layer up).</summary>
    public double FirstBatchNormMultiplier { get; init; } = 5.0;

    /// <summary>Weight of the cross-entropy to each image's target class (DeepInversion's class term).</summary>
    public double CrossEntropyWeight { get; init; } = 0.5;

    /// <summary>Weight of the total variation prior: mean squared difference of neighbouring pixels (normalised space).</summary>
    public double TotalVariationWeight { get; init; } = 0.05;

    /// <summary>Weight of the L2 prior: mean squared pixel value (normalised space).</summary>
    public double L2Weight { get; init; } = 0.001;

    /// <summary>Largest random shift, in pixels, applied (cyclically) in each direction before every step.</summary>
    public int Jitter { get; init; } = 2;

    /// <summary>Flip the batch horizontally at random (p = 0.5) before every step.</summary>
    public bool RandomFlip { get; init; } = true;

    /// <summary>Report progress every this many steps (and at the last).</summary>
    public int ReportEvery { get; init; } = 10;

    /// <summary>Checks every value; throws an <see cref="ArgumentOutOfRangeException"/> naming the field and value.</summary>
    public void Validate()
    {
        if (Iterations < 1) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "needs at least one step");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch statistics need at least two images");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive and finite");
        foreach (var (name, value) in new[] { (nameof(BatchNormWeight), BatchNormWeight), (nameof(FirstBatchNormMultiplier), FirstBatchNormMultiplier),
                     (nameof(CrossEntropyWeight), CrossEntropyWeight), (nameof(TotalVariationWeight), TotalVariationWeight), (nameof(L2Weight), L2Weight) })
            if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, "must be non-negative and finite");
        if (Jitter is < 0 or > 16) throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "must be 0–16 pixels");
        if (ReportEvery < 1) throw new ArgumentOutOfRangeException(nameof(ReportEvery), ReportEvery, "must be at least 1");
    }

    /// <summary>One line with every setting, for markers and logs.</summary>
    public string Describe() => FormattableString.Invariant(
        $"{Iterations} Adam steps (lr {LearningRate}, cosine decay) per batch of {BatchSize}; loss = {BatchNormWeight}·Σ BN-statistics distance (first ×{FirstBatchNormMultiplier}) + {CrossEntropyWeight}·cross-entropy to the target class + {TotalVariationWeight}·TV + {L2Weight}·L2; jitter ±{Jitter} px, random flip {(RandomFlip ? "on" : "off")}");
}

/// <summary>Progress of <see cref="BatchNormInversion.Synthesize"/>, reported every <see cref="InversionOptions.ReportEvery"/> steps.</summary>
/// <param name="Iteration">Steps done (1-based).</param>
/// <param name="Iterations">Steps in total.</param>
/// <param name="BatchNormDistance">Summed batch-norm statistics distance of this step (unweighted, first layer not multiplied).</param>
/// <param name="CrossEntropy">Cross-entropy to the targets of this step.</param>
/// <param name="TargetAgreement">Share of the batch whose top-1 prediction (of this step's jittered input) is its target.</param>
public sealed record InversionProgress(int Iteration, int Iterations, double BatchNormDistance, double CrossEntropy, double TargetAgreement)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"step {Iteration}/{Iterations}: BN distance {BatchNormDistance:F3}, cross-entropy {CrossEntropy:F3}, on target {100 * TargetAgreement:F0} %");
}
