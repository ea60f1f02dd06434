using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// The part of every <see cref="IBatchSource"/> that follows from its <see cref="BatchOptions"/> and class names:
/// batch size, batches per epoch, seed, device and the class count. Subclasses supply the examples.
/// </summary>
public abstract class BatchSource : IBatchSource
{
    /// <summary>Validates and keeps <paramref name="batch"/> and <paramref name="classNames"/>.</summary>
    protected BatchSource(BatchOptions batch, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(classNames);
        batch.Validate();
        Batching = batch;
        ClassNames = classNames;
    }

    /// <summary>Batching, shuffling, seed and device.</summary>
    protected BatchOptions Batching { get; }

    /// <inheritdoc />
    public abstract int Count { get; }

    /// <inheritdoc />
    public int NumClasses => ClassNames.Count;

    /// <inheritdoc />
    public abstract long[] InputShape { get; }

    /// <inheritdoc />
    public int BatchSize => Batching.BatchSize;

    /// <inheritdoc />
    public int BatchesPerEpoch => Batching.BatchesFor(Count);

    /// <inheritdoc />
    public ulong Seed => Batching.Seed;

    /// <inheritdoc />
    public Device Device => Batching.Device ?? CPU;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public abstract IEnumerable<(Tensor inputs, Tensor labels)> Batches(int epoch);

    /// <inheritdoc />
    public abstract void Dispose();
}
