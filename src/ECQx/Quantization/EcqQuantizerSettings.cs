using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// Settings of an ECQ/ECQx quantization, shared by the trainer's <c>EcqWeightQuantizer</c> and the one-shot
/// <see cref="StateDictQuantizer"/>.
/// </summary>
public sealed record EcqQuantizerSettings
{
    /// <summary>Bit width of every quantized tensor (§a.3), in [<see cref="Codebook.MinBits"/>, <see cref="Codebook.MaxBits"/>].</summary>
    public int Bits { get; init; } = 4;
    /// <summary>Per-tensor bit widths that override <see cref="Bits"/> (optional; one-shot and quantization-aware training alike).</summary>
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

    /// <summary>The bit width of tensor <paramref name="name"/>: its <see cref="BitsPerTensor"/> entry, else <see cref="Bits"/>.</summary>
    public int BitsFor(string name) => BitsPerTensor is not null && BitsPerTensor.TryGetValue(name, out int b) ? b : Bits;

    /// <summary>§a.3: the fixed codebook of tensor <paramref name="name"/> from its weights (the caller owns it).</summary>
    public Codebook CreateCodebook(string name, Tensor weights) => Quantization.Codebook.FromWeights(weights, BitsFor(name), Codebook, name);

    /// <summary>
    /// §a.4: the assignment of one tensor's weights to its codebook — ECQ, or ECQx when <paramref name="relevance"/> is
    /// given — with <paramref name="nMax"/> the size of the largest quantized tensor. The one quantization step of both the
    /// one-shot <see cref="StateDictQuantizer"/> and the trainer (initial quantization and every re-quantization).
    /// </summary>
    public EcqAssignment Assign(string name, Tensor weights, Codebook codebook, long nMax, Tensor? relevance = null) =>
        EntropyConstrainedQuantizer.Assign(weights, codebook, Ecq, nMax, name, relevance, Ecqx);

    /// <summary><see cref="Assign"/> for the values only: the result has no <see cref="EcqAssignment.Levels"/>.</summary>
    internal EcqAssignment AssignValues(string name, Tensor weights, Codebook codebook, long nMax, Tensor? relevance) =>
        EntropyConstrainedQuantizer.Assign(weights, codebook, Ecq, nMax, name, relevance, Ecqx, withLevels: false);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Bits < Quantization.Codebook.MinBits || Bits > Quantization.Codebook.MaxBits)
            throw new ArgumentException($"bits must be in [{Quantization.Codebook.MinBits}, {Quantization.Codebook.MaxBits}] (got {Bits})");
        if (!(Ecq.Lambda >= 0) || double.IsInfinity(Ecq.Lambda)) throw new ArgumentException($"lambda must be a finite number ≥ 0 (got {Ecq.Lambda})");
        if (BitsPerTensor is not null)
            foreach (var (name, bits) in BitsPerTensor)
                if (bits < Quantization.Codebook.MinBits || bits > Quantization.Codebook.MaxBits)
                    throw new ArgumentException($"bits of tensor '{name}' must be in [{Quantization.Codebook.MinBits}, {Quantization.Codebook.MaxBits}] (got {bits})");
        Ecq.Validate();
        Ecqx.Validate();
    }
}
