using TorchSharp;

namespace ECQx.Data;

/// <summary>The example indices of each batch of one epoch.</summary>
public static class BatchPlan
{
    /// <summary>
    /// Splits <c>0..count-1</c> (shuffled with a seeded permutation when <see cref="BatchOptions.Shuffle"/>)
    /// into batches of at most <see cref="BatchOptions.BatchSize"/> indices.
    /// </summary>
    public static IReadOnlyList<long[]> For(int count, BatchOptions options, int epoch)
    {
        options.Validate();
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be non-negative");
        long[] order;
        if (options.Shuffle && count > 1)
        {
            TorchRuntime.EnsureLoaded();
            using var gen = EpochSeeds.Generator(options.Seed, epoch, EpochSeeds.ShuffleStream);
            using var perm = torch.randperm(count, dtype: torch.int64, generator: gen);
            order = perm.data<long>().ToArray();
        }
        else
        {
            order = new long[count];
            for (int i = 0; i < count; i++) order[i] = i;
        }
        int batches = options.BatchesFor(count);
        var result = new List<long[]>(batches);
        for (int b = 0; b < batches; b++)
        {
            int start = b * options.BatchSize;
            int len = Math.Min(options.BatchSize, count - start);
            result.Add(order.AsSpan(start, len).ToArray());
        }
        return result;
    }
}
