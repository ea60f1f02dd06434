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

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    protected bool IsDisposed { get; private set; }

    /// <summary>
    /// The batches of one epoch in <see cref="BatchPlan"/> order (shuffled per epoch when the options say so), each
    /// made by <paramref name="makeBatch"/> from its example indices and the epoch's augmentation generator (null when
    /// <paramref name="augmented"/> is false; disposed after the epoch).
    /// </summary>
    protected IEnumerable<(Tensor inputs, Tensor labels)> PlannedBatches(int epoch, bool augmented, Func<long[], Generator?, (Tensor, Tensor)> makeBatch)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var plan = BatchPlan.For(Count, Batching, epoch);
        Generator? gen = augmented ? EpochSeeds.Generator(Batching.Seed, epoch, EpochSeeds.AugmentStream) : null;
        try
        {
            foreach (var indices in plan)
            {
                ObjectDisposedException.ThrowIf(IsDisposed, this);
                yield return makeBatch(indices, gen);
            }
        }
        finally
        {
            gen?.Dispose();
        }
    }

    /// <summary>Frees the split's data once (later calls do nothing).</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        DisposeData();
    }

    /// <summary>Frees the subclass's tensors (called once by <see cref="Dispose"/>).</summary>
    protected abstract void DisposeData();
}
