namespace ECQx.Plots;

/// <summary>Equal-width histogram bins over weights and codebook centroids together (for <see cref="Figures.WeightHistogram(ReadOnlySpan{double}, ReadOnlySpan{double}, int, string?, bool)"/>).</summary>
internal sealed record WeightBins(double Low, double BinWidth, double[] Centers, long[] Counts)
{
    /// <summary>
    /// Counts <paramref name="weights"/> into <paramref name="bins"/> equal bins spanning
    /// [min, max] of the weights and the centroids; a value on the upper edge goes into the last bin.
    /// </summary>
    internal static WeightBins Compute(ReadOnlySpan<double> weights, ReadOnlySpan<double> codebook, int bins)
    {
        if (weights.IsEmpty) throw new ArgumentException("No weights to plot.", nameof(weights));
        if (bins < 1 || bins > 100_000) throw new ArgumentOutOfRangeException(nameof(bins), bins, "Expected between 1 and 100000 bins.");
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < weights.Length; i++)
        {
            double w = weights[i];
            if (!double.IsFinite(w)) throw new ArgumentException($"Weight #{i} is {w}; a histogram needs finite weights.", nameof(weights));
            lo = Math.Min(lo, w);
            hi = Math.Max(hi, w);
        }
        for (int k = 0; k < codebook.Length; k++)
        {
            double c = codebook[k];
            if (!double.IsFinite(c)) throw new ArgumentException($"Codebook centroid #{k} is {c}; expected a finite value.", nameof(codebook));
            lo = Math.Min(lo, c);
            hi = Math.Max(hi, c);
        }
        if (hi == lo)
        {
            double pad = Math.Max(Math.Abs(lo) * 1e-3, 1e-6);
            lo -= pad;
            hi += pad;
        }
        // Halved before subtracting, so ranges near double.MaxValue do not overflow.
        double halfSpan = hi / 2 - lo / 2;
        double width = hi / bins - lo / bins;
        var counts = new long[bins];
        for (int i = 0; i < weights.Length; i++)
        {
            double position = (weights[i] / 2 - lo / 2) / halfSpan; // in [0, 1]
            int b = (int)Math.Floor(position * bins);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        var centers = new double[bins];
        for (int b = 0; b < bins; b++) centers[b] = lo + (b + 0.5) * width;
        return new WeightBins(lo, width, centers, counts);
    }

    /// <summary>
    /// Sums <paramref name="weightOf"/>[i] (1 when null) into the bins of <paramref name="range"/> by the bin of
    /// <paramref name="values"/>[i]; values outside the range go to the nearest edge bin.
    /// </summary>
    internal static double[] CountInto(ReadOnlySpan<double> values, WeightBins range, ReadOnlySpan<double> weightOf = default)
    {
        if (!weightOf.IsEmpty && weightOf.Length != values.Length)
            throw new ArgumentException($"{weightOf.Length} bin weights for {values.Length} values.", nameof(weightOf));
        int bins = range.Counts.Length;
        var sums = new double[bins];
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i])) throw new ArgumentException($"Value #{i} is {values[i]}; a histogram needs finite values.", nameof(values));
            int b = (int)Math.Floor((values[i] - range.Low) / range.BinWidth);
            sums[Math.Clamp(b, 0, bins - 1)] += weightOf.IsEmpty ? 1 : weightOf[i];
        }
        return sums;
    }
}
