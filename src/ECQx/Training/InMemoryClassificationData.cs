using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// A classification dataset held as tensors (CPU). Each epoch's order is a permutation drawn from a
/// private generator seeded with <c>(seed, epoch)</c>, so any epoch can be replayed or resumed mid-way.
/// </summary>
public sealed class InMemoryClassificationData : ITrainingData, IDisposable
{
    private readonly torch.Tensor _trainX, _trainY, _testX, _testY;

    /// <summary>Wraps train and test tensors (inputs <c>[N, …]</c>, int64 targets <c>[N]</c>); they are copied.</summary>
    public InMemoryClassificationData(torch.Tensor trainInputs, torch.Tensor trainTargets, torch.Tensor testInputs, torch.Tensor testTargets)
    {
        TorchRuntime.EnsureLoaded();
        Check(trainInputs, trainTargets, "train");
        Check(testInputs, testTargets, "test");
        _trainX = trainInputs.detach().cpu().clone().DetachFromDisposeScope();
        _trainY = trainTargets.detach().cpu().to(torch.int64).clone().DetachFromDisposeScope();
        _testX = testInputs.detach().cpu().clone().DetachFromDisposeScope();
        _testY = testTargets.detach().cpu().to(torch.int64).clone().DetachFromDisposeScope();
    }

    private static void Check(torch.Tensor x, torch.Tensor y, string which)
    {
        if (y.ndim != 1) throw new ArgumentException($"{which} targets must be 1-D, got shape [{string.Join(", ", y.shape)}]");
        if (x.ndim < 1 || x.shape[0] != y.shape[0])
            throw new ArgumentException($"{which} inputs have {(x.ndim < 1 ? 0 : x.shape[0])} samples but targets have {y.shape[0]}");
    }

    /// <inheritdoc />
    public long TrainCount => _trainY.shape[0];

    /// <inheritdoc />
    public long TestCount => _testY.shape[0];

    /// <inheritdoc />
    public int BatchesPerEpoch(int batchSize) => (int)((TrainCount + batchSize - 1) / batchSize);

    /// <inheritdoc />
    public IEnumerable<TrainingBatch> TrainBatches(int epoch, int batchSize, long seed, int startBatch, torch.Device device)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        long n = TrainCount;
        torch.Tensor order;
        using (var gen = new torch.Generator(EpochSeed(seed, epoch)))
            order = torch.randperm(n, generator: gen).DetachFromDisposeScope();
        try
        {
            for (long start = (long)startBatch * batchSize; start < n; start += batchSize)
            {
                long len = Math.Min(batchSize, n - start);
                using var idx = order.narrow(0, start, len);
                yield return new TrainingBatch(_trainX.index_select(0, idx).to(device), _trainY.index_select(0, idx).to(device));
            }
        }
        finally { order.Dispose(); }
    }

    /// <inheritdoc />
    public IEnumerable<TrainingBatch> TestBatches(int batchSize, torch.Device device)
    {
        long n = TestCount;
        for (long start = 0; start < n; start += batchSize)
        {
            long len = Math.Min(batchSize, n - start);
            yield return new TrainingBatch(_testX.narrow(0, start, len).to(device), _testY.narrow(0, start, len).to(device));
        }
    }

    /// <summary>The generator seed of one epoch's shuffle (a fixed mix of the run seed and the epoch).</summary>
    public static ulong EpochSeed(long seed, int epoch) => unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + 1UL);

    /// <inheritdoc />
    public void Dispose()
    {
        _trainX.Dispose(); _trainY.Dispose(); _testX.Dispose(); _testY.Dispose();
    }
}
