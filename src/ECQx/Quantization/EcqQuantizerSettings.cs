namespace ECQx.Quantization;

/// <summary>
/// Settings of an ECQ/ECQx quantization, shared by the trainer's <c>EcqWeightQuantizer</c> and the one-shot
/// <see cref="StateDictQuantizer"/>.
/// </summary>
public sealed record EcqQuantizerSettings
{
    /// <summary>Bit width of every quantized tensor (§a.3), in [<see cref="Codebook.MinBits"/>, <see cref="Codebook.MaxBits"/>].</summary>
    public int Bits { get; init; } = 4;
    /// <summary>Per-tensor bit widths that override <see cref="Bits"/> in a one-shot quantization (optional).</summary>
    public IReadOnlyDictionary<string, int>? BitsPerTensor { get; init; }
    /// <summary>ECQ options (Λ, PMF bias, λ_max variant, sustain; §a.4).</summary>
    public EcqOptions Ecq { get; init; } = EcqOptions.Default;
    /// <summary>ECQx options (ρ, p, β search; §a.4 step 10), used when relevance is given.</summary>
    public EcqxOptions Ecqx { get; init; } = EcqxOptions.Default;
    /// <summary>Codebook options (percentile, unsigned support).</summary>
    public CodebookOptions Codebook { get; init; } = CodebookOptions.Default;
    /// <summary>Which tensors are quantized (§a.2).</summary>
    public QuantizationSelectorOptions Selection { get; init; } = QuantizationSelectorOptions.Default;
    /// <summary>Gradient scaling of the straight-through estimator (§a.5; signed centroid by default).</summary>
    public GradientScaling GradientScaling { get; init; } = GradientScaling.SignedCentroid;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Bits < Quantization.Codebook.MinBits || Bits > Quantization.Codebook.MaxBits)
            throw new ArgumentException($"bits must be in [{Quantization.Codebook.MinBits}, {Quantization.Codebook.MaxBits}] (got {Bits})");
        if (!(Ecq.Lambda >= 0) || double.IsInfinity(Ecq.Lambda)) throw new ArgumentException($"lambda must be a finite number ≥ 0 (got {Ecq.Lambda})");
        Ecq.Validate();
        Ecqx.Validate();
    }
}
