namespace ECQx.Training;

/// <summary>
/// The scalar part of a training checkpoint, stored as JSON in the safetensors metadata under
/// <see cref="MetadataKey"/>. Tensors (model state, background weights, codebooks, optimizer moments,
/// relevance accumulators, torch generator state) are stored alongside under prefixed names.
/// </summary>
public sealed record CheckpointState
{
    /// <summary>The metadata key holding this record as JSON.</summary>
    public const string MetadataKey = "ecqx.training-checkpoint";
    /// <summary>Current format version (2: with <see cref="Settings"/> and the <see cref="CheckpointIntegrity"/> digest).</summary>
    public const int CurrentFormat = 2;

    /// <summary>Format version.</summary>
    public int Format { get; init; } = CurrentFormat;
    /// <summary>The phase to continue in.</summary>
    public TrainingPhase Phase { get; init; }
    /// <summary>1-based epoch (within the phase) to continue in.</summary>
    public int Epoch { get; init; }
    /// <summary>Batch index to continue at.</summary>
    public int NextBatch { get; init; }
    /// <summary>Run seed.</summary>
    public long Seed { get; init; }
    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; }
    /// <summary>Whether the run trains a quantized model.</summary>
    public bool Quantized { get; init; }
    /// <summary>Early stopping: best test accuracy of the phase so far.</summary>
    public double Best { get; init; }
    /// <summary>Early stopping: epochs without improvement.</summary>
    public int BadEpochs { get; init; }
    /// <summary>Whether the run stopped early.</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>Sum of batch losses of the current epoch so far.</summary>
    public double EpochLossSum { get; init; }
    /// <summary>Correct training predictions of the current epoch so far.</summary>
    public long EpochCorrect { get; init; }
    /// <summary>Training samples of the current epoch so far.</summary>
    public long EpochSeen { get; init; }
    /// <summary>Wall seconds spent in the current epoch so far.</summary>
    public double EpochWallSeconds { get; init; }
    /// <summary>Step counts of the full-precision optimizer (pretrain / FP phases).</summary>
    public long[]? FullPrecisionSteps { get; init; }
    /// <summary>Step counts of the background optimizer.</summary>
    public long[]? BackgroundSteps { get; init; }
    /// <summary>Step counts of the model optimizer.</summary>
    public long[]? ModelSteps { get; init; }
    /// <summary>Codebook step sizes and bit widths (the centroids are stored as tensors <c>codebook/&lt;name&gt;</c>).</summary>
    public Dictionary<string, StoredCodebook>? Codebooks { get; init; }
    /// <summary>s_E of each tensor's last assignment.</summary>
    public Dictionary<string, double>? EcqSparsity { get; init; }
    /// <summary>The run's result-changing settings (<see cref="RunSettings"/>), compared on resume.</summary>
    public Dictionary<string, string>? Settings { get; init; }
    /// <summary>Metrics rows so far.</summary>
    public List<EpochMetrics> History { get; init; } = new();

    /// <summary>How a codebook is stored in the JSON (its lowest level follows from the first stored centroid).</summary>
    /// <param name="StepSize">Δ_l.</param>
    /// <param name="Bits">Bit width.</param>
    public sealed record StoredCodebook(double StepSize, int Bits);
}
