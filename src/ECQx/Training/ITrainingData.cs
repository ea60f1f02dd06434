using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// What the trainer needs from a dataset: a deterministic, resumable stream of training batches and a
/// test set. Adapters wrap the dataset loaders of <c>ECQx.Data</c>; <see cref="InMemoryClassificationData"/>
/// serves tensors already in memory.
/// </summary>
/// <remarks>
/// Determinism contract (needed for bit-identical resume): the batches of
/// <see cref="TrainBatches"/> depend only on <c>(seed, epoch, batch index)</c>. Shuffling and any
/// augmentation must use generators seeded from those values, never the global torch generator, so
/// that starting at <c>startBatch</c> yields exactly the tail of the full epoch.
/// </remarks>
public interface ITrainingData
{
    /// <summary>Number of training samples.</summary>
    long TrainCount { get; }

    /// <summary>Number of test samples (0 when there is no test set).</summary>
    long TestCount { get; }

    /// <summary>Number of training batches one epoch has at <paramref name="batchSize"/>.</summary>
    int BatchesPerEpoch(int batchSize);

    /// <summary>
    /// The training batches of <paramref name="epoch"/>, starting at batch index <paramref name="startBatch"/>.
    /// Each batch's tensors are created inside <c>MoveNext</c> and belong to the caller's current dispose
    /// scope; state the enumerator keeps across batches must be detached from dispose scopes.
    /// </summary>
    IEnumerable<TrainingBatch> TrainBatches(int epoch, int batchSize, long seed, int startBatch, torch.Device device);

    /// <summary>The test batches, in a fixed order, without augmentation.</summary>
    IEnumerable<TrainingBatch> TestBatches(int batchSize, torch.Device device);
}
