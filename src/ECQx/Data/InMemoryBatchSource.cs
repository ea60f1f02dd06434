using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data;

/// <summary>
/// A classification split held as tensors in memory (CPU): float inputs <c>[N, …]</c> and int64 labels <c>[N]</c>.
/// With <see cref="BatchOptions.Shuffle"/>, each epoch's order is a permutation drawn from a private generator
/// seeded with <c>(Seed, epoch)</c>, so any epoch can be replayed or resumed mid-way; otherwise the order is fixed.
/// </summary>
public sealed class InMemoryBatchSource : BatchSource
{
    private readonly Tensor _inputs, _labels;

    /// <summary>Copies <paramref name="inputs"/> and <paramref name="labels"/> (labels as int64) to CPU memory.</summary>
    /// <param name="inputs">Inputs, first dimension the samples.</param>
    /// <param name="labels">1-D class indices in <c>[0, classes)</c>.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="batch">Batch size, shuffling, seed and device of the yielded batches.</param>
    public InMemoryBatchSource(Tensor inputs, Tensor labels, int classes, BatchOptions batch)
        : base(batch, ClassNamesFor(classes))
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(batch);
        TorchRuntime.EnsureLoaded();
        if (labels.ndim != 1) throw new ArgumentException($"labels must be 1-D, got shape [{string.Join(", ", labels.shape)}]");
        if (inputs.ndim < 1 || inputs.shape[0] != labels.shape[0])
            throw new ArgumentException($"inputs have {(inputs.ndim < 1 ? 0 : inputs.shape[0])} samples but labels have {labels.shape[0]}");
        _inputs = inputs.detach().cpu().clone().DetachFromDisposeScope();
        _labels = labels.detach().cpu().to(int64).clone().DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public override int Count => (int)_labels.shape[0];

    /// <inheritdoc />
    public override long[] InputShape => _inputs.shape[1..];

    /// <inheritdoc />
    public override IEnumerable<(Tensor inputs, Tensor labels)> Batches(int epoch)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        long n = Count;
        Tensor? order = null;
        if (Batching.Shuffle)
            using (var gen = new Generator(EpochSeed(Batching.Seed, epoch)))
                order = randperm(n, generator: gen).DetachFromDisposeScope();
        try
        {
            int batches = BatchesPerEpoch;
            for (int b = 0; b < batches; b++)
            {
                long start = (long)b * BatchSize, len = Math.Min(BatchSize, n - start);
                if (order is null)
                {
                    yield return (_inputs.narrow(0, start, len).to(Device), _labels.narrow(0, start, len).to(Device));
                    continue;
                }
                using var idx = order.narrow(0, start, len);
                yield return (_inputs.index_select(0, idx).to(Device), _labels.index_select(0, idx).to(Device));
            }
        }
        finally { order?.Dispose(); }
    }

    private static string[] ClassNamesFor(int classes) =>
        classes < 1 ? throw new ArgumentException($"need at least one class (got {classes})")
            : Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The generator seed of one epoch's shuffle (a fixed mix of the seed and the epoch).</summary>
    public static ulong EpochSeed(ulong seed, int epoch) => unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + 1UL);

    /// <inheritdoc />
    protected override void DisposeData()
    {
        _inputs.Dispose(); _labels.Dispose();
    }
}
