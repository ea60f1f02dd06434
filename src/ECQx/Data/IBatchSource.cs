using TorchSharp;

namespace ECQx.Data;

/// <summary>
/// One split of a dataset as the trainer sees it: a finite, re-playable sequence of mini-batches. This is the one
/// data seam of the library: loaders return <see cref="DatasetSplits"/> of these, and the trainer, the evaluation and
/// the XAI compression tools consume them.
/// </summary>
/// <remarks>
/// <para>Contract, shared by every dataset in <c>ECQx.Data</c>:</para>
/// <list type="bullet">
/// <item><see cref="Batches"/> yields <c>(inputs, labels)</c> with <c>inputs</c> float32 of shape
/// <c>[B, ..InputShape]</c> and <c>labels</c> int64 of shape <c>[B]</c> holding class indices in
/// <c>[0, NumClasses)</c>, both on <see cref="Device"/>.</item>
/// <item>The sequence for a given <c>epoch</c> is a pure function of the source's seed and that epoch number:
/// calling <c>Batches(3)</c> twice gives identical batches (same order, same augmentation), and
/// different epochs give different shuffles. A trainer resuming at epoch <c>e</c> therefore sees exactly the
/// batches an uninterrupted run would have seen.</item>
/// <item>Every yielded tensor is new. It belongs to the caller's innermost open
/// <see cref="torch.NewDisposeScope"/> if there is one (open a scope per batch in the training loop);
/// otherwise the caller disposes it.</item>
/// <item>The last batch may be smaller than <see cref="BatchSize"/> unless the source was built with
/// drop-last; <see cref="BatchesPerEpoch"/> accounts for that.</item>
/// </list>
/// </remarks>
public interface IBatchSource : IDisposable
{
    /// <summary>Number of examples in this split (before any drop-last).</summary>
    int Count { get; }

    /// <summary>Number of classes; labels lie in <c>[0, NumClasses)</c>.</summary>
    int NumClasses { get; }

    /// <summary>Shape of one example, without the batch dimension (e.g. <c>[3, 32, 32]</c>).</summary>
    long[] InputShape { get; }

    /// <summary>Nominal batch size.</summary>
    int BatchSize { get; }

    /// <summary>Number of batches one call of <see cref="Batches"/> yields.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>The seed of the shuffle and augmentation streams (<see cref="Batches"/> is a pure function of it and the epoch).</summary>
    ulong Seed { get; }

    /// <summary>The device the yielded tensors live on.</summary>
    torch.Device Device { get; }

    /// <summary>Human-readable class names, index-aligned with the labels.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The batches of one epoch (deterministic in the seed and <paramref name="epoch"/>).</summary>
    IEnumerable<(torch.Tensor inputs, torch.Tensor labels)> Batches(int epoch);
}
