using ECQx.Data;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Adapts the dataset splits of <c>ECQx.Data</c> (<see cref="IBatchSource"/>) to <see cref="ITrainingData"/>.
/// The sources carry their own batch size, seed and device (set them from the run's options when loading);
/// a trainer asking for a different batch size gets a clear error. Resuming mid-epoch replays the epoch's
/// batch sequence (deterministic in seed and epoch) and drops the batches before the resume point.
/// </summary>
public sealed class BatchSourceTrainingData : ITrainingData, IDisposable
{
    private readonly DatasetSplits _splits;

    /// <summary>Wraps <paramref name="splits"/> (disposed with this object).</summary>
    public BatchSourceTrainingData(DatasetSplits splits) => _splits = splits ?? throw new ArgumentNullException(nameof(splits));

    /// <summary>The wrapped splits.</summary>
    public DatasetSplits Splits => _splits;

    /// <inheritdoc />
    public long TrainCount => _splits.Train.Count;

    /// <inheritdoc />
    public long TestCount => _splits.Test.Count;

    /// <inheritdoc />
    public int BatchesPerEpoch(int batchSize)
    {
        CheckBatchSize(batchSize);
        return _splits.Train.BatchesPerEpoch;
    }

    /// <inheritdoc />
    public IEnumerable<TrainingBatch> TrainBatches(int epoch, int batchSize, long seed, int startBatch, torch.Device device)
    {
        CheckBatchSize(batchSize);
        int index = 0;
        foreach (var (x, y) in _splits.Train.Batches(epoch))
        {
            if (index++ < startBatch) { x.Dispose(); y.Dispose(); continue; }
            yield return new TrainingBatch(x.device == device ? x : x.to(device), y.device == device ? y : y.to(device));
        }
    }

    /// <inheritdoc />
    public IEnumerable<TrainingBatch> TestBatches(int batchSize, torch.Device device)
    {
        foreach (var (x, y) in _splits.Test.Batches(0))
            yield return new TrainingBatch(x.device == device ? x : x.to(device), y.device == device ? y : y.to(device));
    }

    private void CheckBatchSize(int batchSize)
    {
        if (batchSize != _splits.Train.BatchSize)
            throw new ArgumentException($"dataset '{_splits.Name}' was loaded with batch size {_splits.Train.BatchSize}, but the trainer uses {batchSize}");
    }

    /// <inheritdoc />
    public void Dispose() => _splits.Dispose();
}
