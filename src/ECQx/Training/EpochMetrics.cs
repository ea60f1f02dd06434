namespace ECQx.Training;

/// <summary>Statistics of one quantized tensor at the end of an epoch.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="Count">n_l, its number of weights.</param>
/// <param name="Sparsity">Fraction of zero weights.</param>
/// <param name="EntropyBits">H_l = −Σ P_k log2 P_k over the level histogram (bits per weight).</param>
/// <param name="Histogram">Weights per codebook level, in ascending centroid order.</param>
/// <param name="EcqSparsity">s_E of the last assignment (zero fraction before the ECQx correction).</param>
/// <param name="StepSize">Δ_l.</param>
/// <param name="Bits">The bit width.</param>
public sealed record LayerMetrics(string Name, long Count, double Sparsity, double EntropyBits, long[] Histogram,
    double EcqSparsity, double StepSize, int Bits);

/// <summary>One row of the per-epoch results (JSON lines / CSV).</summary>
/// <param name="Phase">The phase of the epoch.</param>
/// <param name="Epoch">1-based epoch within the phase (0 for the initial-quantization row).</param>
/// <param name="TrainLoss">Mean training loss of the epoch (NaN for the initial row).</param>
/// <param name="TrainAccuracy">Training accuracy in % (NaN for the initial row).</param>
/// <param name="TestAccuracy">Test accuracy in % (NaN without a test set).</param>
/// <param name="NetworkSparsity">Zero fraction over all non-scalar state tensors, BN buffers included (§a.4).</param>
/// <param name="QuantizedSparsity">Zero fraction over the quantized tensors only.</param>
/// <param name="SizeEstimateBytes">Σ n_l·H_l/8 + 4 bytes per unquantized float + 4 bytes per step size (§d.5 proxy).</param>
/// <param name="WallSeconds">Wall time of the epoch (training + evaluation).</param>
/// <param name="Layers">Per quantized tensor statistics.</param>
public sealed record EpochMetrics(TrainingPhase Phase, int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy,
    double NetworkSparsity, double QuantizedSparsity, double SizeEstimateBytes, double WallSeconds, IReadOnlyList<LayerMetrics> Layers);
