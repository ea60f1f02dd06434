namespace ECQx.Quantization;

/// <summary>How the preliminary PMF is biased towards the zero cluster (spec §a.4 step 3).</summary>
public enum PmfBias
{
    /// <summary>
    /// The reference code's sequential in-place rescale: clusters below zero get <c>P·0.5/S</c>, the zero cluster
    /// is set to 0.5, clusters above zero get the slightly smaller factor <c>0.5/S − P0(0.5 − P0)/S²</c>, so the PMF
    /// can sum to slightly less than 1. Default, for parity with the reference.
    /// </summary>
    ReferenceSequential,

    /// <summary>Exact renormalisation: zero cluster 0.5, every other occupied cluster <c>P·0.5/S</c>; sums to 1.</summary>
    ExactRenormalisation,

    /// <summary>No bias: the plain nearest-neighbour frequencies (what the reference's unused <c>get_layer_entropy</c> uses).</summary>
    None,
}

/// <summary>Which λ_max formula is used (spec §a.4 step 5).</summary>
public enum LambdaMaxVariant
{
    /// <summary>
    /// As coded in the reference: <c>Λ± = ((c± − w±)² + w±)² / (I± − I0)</c>, and λ* is the <b>maximum</b> of the two.
    /// Default, for parity.
    /// </summary>
    ReferenceCode,

    /// <summary>
    /// The thesis / EC2T intent: <c>Λ± = (w±² − (w± − c±)²) / (I± − I0)</c>, the smallest λ at which the outer cluster
    /// collapses into zero, and λ* is the <b>minimum</b> of the two.
    /// </summary>
    Thesis,
}

/// <summary>Options of the ECQ assignment (spec §a.4 steps 1–9).</summary>
public sealed record EcqOptions
{
    /// <summary>The reference defaults (Λ = 0.05, reference PMF bias and λ_max, sustain 0.05).</summary>
    public static EcqOptions Default { get; } = new();

    /// <summary>The user multiplier Λ (CLI <c>--Lambda</c>, default 0.05). Λ = 0 means plain nearest-centroid assignment.</summary>
    public double Lambda { get; init; } = 0.05;

    /// <summary>How the preliminary PMF is biased (default: the reference's sequential quirk).</summary>
    public PmfBias PmfBias { get; init; } = PmfBias.ReferenceSequential;

    /// <summary>Which λ_max formula is used (default: the reference code's).</summary>
    public LambdaMaxVariant LambdaMaxVariant { get; init; } = LambdaMaxVariant.ReferenceCode;

    /// <summary>Layer-decay "sustain" ς in <c>δ = (n/n_max + ς)/(1 + ς)</c> (default 0.05).</summary>
    public double Sustain { get; init; } = 0.05;

    internal void Validate()
    {
        if (!(double.IsFinite(Lambda) && Lambda >= 0))
            throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "Lambda must be a finite number ≥ 0.");
        if (!(double.IsFinite(Sustain) && Sustain >= 0))
            throw new ArgumentOutOfRangeException(nameof(Sustain), Sustain, "Sustain must be a finite number ≥ 0.");
        if (!Enum.IsDefined(PmfBias))
            throw new ArgumentOutOfRangeException(nameof(PmfBias), PmfBias, "Unknown PMF bias.");
        if (!Enum.IsDefined(LambdaMaxVariant))
            throw new ArgumentOutOfRangeException(nameof(LambdaMaxVariant), LambdaMaxVariant, "Unknown λ_max variant.");
    }
}
