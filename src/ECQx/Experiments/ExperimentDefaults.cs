namespace ECQx.Experiments;

/// <summary>The default sweep and training lengths of an experiment in one mode (full or quick).</summary>
/// <param name="Models">Models, in run order.</param>
/// <param name="Bits">Bit widths.</param>
/// <param name="Lambdas">Λ values.</param>
/// <param name="Epochs">Quantization-aware epochs per run.</param>
/// <param name="BaselineEpochs">Full-precision epochs for a model without pretrained weights.</param>
/// <param name="MaxBatchesPerEpoch">Batch cap per quantization-aware epoch (null = whole epochs).</param>
/// <param name="BaselineMaxBatchesPerEpoch">Batch cap per FP baseline epoch (null = whole epochs).</param>
/// <param name="BatchSize">Batch size.</param>
/// <param name="LearningRate">Adam learning rate (§c.2).</param>
public sealed record ExperimentDefaults(
    IReadOnlyList<string> Models, IReadOnlyList<int> Bits, IReadOnlyList<double> Lambdas, int Epochs, int BaselineEpochs,
    int? MaxBatchesPerEpoch, int? BaselineMaxBatchesPerEpoch, int BatchSize, double LearningRate = 1e-3);
