using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Options of <see cref="QuantizationAwareTrainer"/>. Defaults follow the reference (§c.2–c.4): Adam lr 1e-3,
/// weight decay 5e-6 on the non-quantized parameters, batch 64, 10 epochs, patience 4, min delta 0.1 points,
/// relevance α 0.1, seed 808.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Quantization-aware epochs (or FP epochs when no quantizer is given). 0 = one-shot quantization only.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Optional full-precision epochs before quantization (§c.3 step 2).</summary>
    public int PretrainEpochs { get; init; }
    /// <summary>Training batch size (the data must be loaded with it; the trainer checks).</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Adam learning rate of both optimizers.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>L2 weight decay of the non-quantized (model) parameters (§c.2 group 0).</summary>
    public double WeightDecay { get; init; } = 5e-6;
    /// <summary>
    /// Run seed: libtorch's default (process-global) generator; the data's shuffles use the seed the data was loaded
    /// with, which must be this one (the trainer checks). Because dropout and
    /// initialisation draw from that process-global generator, bit-identical runs and resumes also require that
    /// nothing else in the process draws random numbers from it while the trainer runs (the test suite runs such
    /// tests serially for this reason).
    /// </summary>
    public long Seed { get; init; } = 808;
    /// <summary>Device of the model and all training tensors.</summary>
    public torch.Device Device { get; init; } = torch.CPU;
    /// <summary>
    /// When set, <c>torch.set_num_threads</c> is called with it. CPU results are bit-identical between runs with
    /// the same seed and the same thread count; a different thread count may change the rounding of reductions.
    /// </summary>
    public int? Threads { get; init; }
    /// <summary>Early stopping: epochs without an improvement of at least <see cref="MinDelta"/> before stopping (0 disables).</summary>
    public int Patience { get; init; } = 4;
    /// <summary>Early stopping threshold in accuracy percentage points.</summary>
    public double MinDelta { get; init; } = 0.1;
    /// <summary>History weight α of the relevance running average (§b.7).</summary>
    public double RelevanceAlpha { get; init; } = 0.1;
    /// <summary>Stop each epoch after this many batches (smoke runs, benchmarks); null = the whole epoch.</summary>
    public int? MaxBatchesPerEpoch { get; init; }
    /// <summary>Directory for <c>checkpoint.safetensors</c>, <c>metrics.jsonl</c> and <c>metrics.csv</c>; null = write nothing.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Write a checkpoint every this many batches (0 = only at the end of each epoch).</summary>
    public int CheckpointEveryBatches { get; init; }
    /// <summary>
    /// Continue from the checkpoint in <see cref="OutputDirectory"/> when one exists (otherwise start from scratch). A
    /// damaged checkpoint (<see cref="CheckpointIntegrity"/>) or one written with other result-changing settings
    /// (<see cref="RunSettings"/>, seed, batch size) is refused; <see cref="Epochs"/> may differ.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Epochs < 0) throw new ArgumentException($"epochs must be ≥ 0 (got {Epochs})");
        if (PretrainEpochs < 0) throw new ArgumentException($"pretrain epochs must be ≥ 0 (got {PretrainEpochs})");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive (got {BatchSize})");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be positive and finite (got {LearningRate})");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"weight decay must be ≥ 0 (got {WeightDecay})");
        if (Threads is <= 0) throw new ArgumentException($"threads must be positive (got {Threads})");
        if (Patience < 0) throw new ArgumentException($"patience must be ≥ 0 (got {Patience})");
        if (!(MinDelta >= 0)) throw new ArgumentException($"min delta must be ≥ 0 (got {MinDelta})");
        if (RelevanceAlpha is < 0 or > 1 || double.IsNaN(RelevanceAlpha)) throw new ArgumentException($"relevance alpha must lie in [0, 1] (got {RelevanceAlpha})");
        if (MaxBatchesPerEpoch is <= 0) throw new ArgumentException($"max batches per epoch must be positive (got {MaxBatchesPerEpoch})");
        if (CheckpointEveryBatches < 0) throw new ArgumentException($"checkpoint interval must be ≥ 0 (got {CheckpointEveryBatches})");
        if (Resume && OutputDirectory is null) throw new ArgumentException("resume needs an output directory holding the checkpoint");
    }
}
