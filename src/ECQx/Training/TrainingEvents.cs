namespace ECQx.Training;

/// <summary>The stage of a run.</summary>
public enum TrainingPhase
{
    /// <summary>Full-precision pre-training before quantization (§c.3 step 2).</summary>
    Pretrain,
    /// <summary>The one-shot initial ECQ quantization (§c.3 step 4); a metrics row only.</summary>
    Initial,
    /// <summary>Quantization-aware training (§c.3 step 5).</summary>
    Quantize,
    /// <summary>Plain full-precision training (no quantizer).</summary>
    FullPrecision,
    /// <summary>The run has finished (all epochs, or early stopping).</summary>
    Done,
}

/// <summary>Raised after every training batch.</summary>
/// <param name="Phase">The phase being trained.</param>
/// <param name="Epoch">1-based epoch within the phase.</param>
/// <param name="Batch">0-based batch index within the epoch.</param>
/// <param name="BatchesInEpoch">How many batches the epoch has.</param>
/// <param name="Loss">This batch's mean cross-entropy.</param>
/// <param name="EpochLoss">Mean loss over the epoch's batches so far.</param>
/// <param name="EpochAccuracy">Training accuracy (%) over the epoch's samples so far.</param>
/// <param name="QuantizedSparsity">Zero fraction of the quantized tensors after this batch (0 for FP).</param>
public sealed record BatchProgress(TrainingPhase Phase, int Epoch, int Batch, int BatchesInEpoch, double Loss,
    double EpochLoss, double EpochAccuracy, double QuantizedSparsity);

/// <summary>Raised after a checkpoint was written.</summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Phase">The phase it resumes into.</param>
/// <param name="Epoch">1-based epoch within the phase it resumes into.</param>
/// <param name="NextBatch">The batch index it resumes at.</param>
public sealed record CheckpointWritten(string Path, TrainingPhase Phase, int Epoch, int NextBatch);
