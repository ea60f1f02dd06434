using TorchSharp;

namespace ECQx.Training;

/// <summary>One mini-batch: inputs and integer class targets, both on the training device.</summary>
/// <param name="Inputs">The batch inputs (first dimension is the batch).</param>
/// <param name="Targets">The class indices (int64), one per sample.</param>
public sealed record TrainingBatch(torch.Tensor Inputs, torch.Tensor Targets);
