namespace ECQx.Quantization;

/// <summary>Per-tensor statistics of a quantization result.</summary>
public sealed record TensorQuantStats
{
    /// <summary>Tensor name.</summary>
    public required string Name { get; init; }

    /// <summary>Number of weights n.</summary>
    public required long Count { get; init; }

    /// <summary>Lowest level of the codebook; <see cref="Histogram"/>[i] counts level <c>MinLevel + i</c>.</summary>
    public required int MinLevel { get; init; }

    /// <summary>Final number of weights per level, indexed by <c>level − MinLevel</c>.</summary>
    public required IReadOnlyList<long> Histogram { get; init; }

    /// <summary>Number of weights assigned to level 0.</summary>
    public long ZeroCount => Histogram[-MinLevel];

    /// <summary>Fraction of weights assigned to level 0.</summary>
    public double Sparsity => Count == 0 ? 0 : ZeroCount / (double)Count;

    /// <summary>Entropy in bits per weight of the final level histogram (<c>−Σ p log2 p</c>).</summary>
    public double EntropyBits => EcqMath.EntropyBits(Histogram);

    /// <summary>Number of weights at an integer level.</summary>
    public long CountAt(int level) => level - MinLevel is int i && i >= 0 && i < Histogram.Count ? Histogram[i] : 0;

    /// <summary>The entropy-constraint intermediates (null when Λ = 0 or the tensor was all zero).</summary>
    public EcqDiagnostics? Ecq { get; init; }

    /// <summary>True when the input was all zero and returned unchanged (spec §a.2).</summary>
    public bool AllZeroInput { get; init; }

    /// <summary>Notes on degenerate cases that were handled (e.g. a skipped λ_max side); empty normally.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}

/// <summary>The intermediate values of the entropy-constrained step (spec §a.4 steps 2–7).</summary>
public sealed record EcqDiagnostics
{
    /// <summary>Nearest-centroid (preliminary) counts per centroid index.</summary>
    public required IReadOnlyList<long> NearestCounts { get; init; }

    /// <summary>The biased PMF per centroid index (0 for empty clusters).</summary>
    public required IReadOnlyList<double> Pmf { get; init; }

    /// <summary>Information content <c>−log2 P</c> per centroid index (+∞ for empty clusters).</summary>
    public required IReadOnlyList<double> Information { get; init; }

    /// <summary>λ_max with both sides.</summary>
    public required LambdaMaxResult LambdaMax { get; init; }

    /// <summary>Layer decay δ.</summary>
    public required double LayerDecay { get; init; }

    /// <summary>The user Λ.</summary>
    public required double Lambda { get; init; }

    /// <summary>The effective multiplier <c>λ_l = Λ·δ·λ*</c>.</summary>
    public required double EffectiveLambda { get; init; }

    /// <summary>Lowest and highest occupied centroid index of the preliminary assignment (k−, k+).</summary>
    public required (int Lowest, int Highest) ExtremeClusters { get; init; }

    /// <summary>min W and max W.</summary>
    public required (double Min, double Max) WeightRange { get; init; }
}
