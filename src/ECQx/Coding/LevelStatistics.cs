using ECQx.Quantization;

namespace ECQx.Coding;

/// <summary>Zeroth-order statistics of a level sequence.</summary>
public static class LevelStatistics
{
    /// <summary>
    /// Empirical zeroth-order entropy <c>H = −Σ p_k log2 p_k</c> of the level histogram, in bits per level
    /// (0 for an empty or constant sequence). <c>n·H/8</c> bytes is the bound a memoryless coder cannot beat;
    /// context modelling can go below it when levels are not independent. (The formula is <see cref="EcqMath.EntropyBits"/>.)
    /// </summary>
    public static double Entropy(ReadOnlySpan<int> levels) =>
        EcqMath.EntropyBits(Histogram(levels).OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray());

    /// <summary>Fraction of zero levels (0 for an empty sequence).</summary>
    public static double Sparsity(ReadOnlySpan<int> levels)
    {
        if (levels.Length == 0) return 0;
        long zeros = 0;
        foreach (int level in levels) if (level == 0) zeros++;
        return zeros / (double)levels.Length;
    }

    /// <summary>Count of each distinct level.</summary>
    public static Dictionary<int, long> Histogram(ReadOnlySpan<int> levels)
    {
        var counts = new Dictionary<int, long>();
        if (levels.Length == 0) return counts;
        int min = int.MaxValue, max = int.MinValue;
        foreach (int level in levels)
        {
            if (level < min) min = level;
            if (level > max) max = level;
        }
        if ((long)max - min < 1 << 16)
        {
            var dense = new long[max - min + 1];
            foreach (int level in levels) dense[level - min]++;
            for (int i = 0; i < dense.Length; i++) if (dense[i] > 0) counts[min + i] = dense[i];
            return counts;
        }
        foreach (int level in levels) counts[level] = counts.GetValueOrDefault(level) + 1;
        return counts;
    }
}
