using TorchSharp;

namespace ECQx.Data;

/// <summary>How a split is cut into batches.</summary>
public sealed record BatchOptions
{
    /// <summary>Examples per batch (spec §c.1 uses 64 for CIFAR-10).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Reshuffle every epoch with a generator seeded from <see cref="Seed"/> and the epoch number.</summary>
    public bool Shuffle { get; init; }

    /// <summary>Drop a final batch smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Seed for shuffling and augmentation.</summary>
    public ulong Seed { get; init; }

    /// <summary>Device of the yielded tensors (CPU when null).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}.");
    }

    /// <summary>Number of batches for <paramref name="count"/> examples under these options.</summary>
    public int BatchesFor(int count) => DropLast ? count / BatchSize : (count + BatchSize - 1) / BatchSize;
}
