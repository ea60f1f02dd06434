using System.Globalization;

namespace ECQx.Tests.Training;

/// <summary>
/// One compared quantity of <see cref="ReferenceEpochComparison"/> (held-out accuracy or one layer's sparsity), as fractions.
/// </summary>
/// <param name="Metric">What is compared: <c>accuracy</c>, <c>initial accuracy</c> or a layer name (its sparsity).</param>
/// <param name="Reference">The reference's value per seed.</param>
/// <param name="Ours">Our value per seed (same seeds, same batch order).</param>
/// <param name="Resolution">The smallest possible change of the quantity: one image of the held-out set, one weight of the layer.</param>
internal sealed record EpochMetricComparison(string Metric, double[] Reference, double[] Ours, double Resolution)
{
    /// <summary>Mean over seeds of ours minus the reference's.</summary>
    public double MeanDifference => Ours.Average() - Reference.Average();

    /// <summary>
    /// The pooled seed standard deviation, <c>√((s²_ref + s²_ours)/2)</c> with the sample variances over seeds: how much
    /// the quantity moves when only the batch order changes.
    /// </summary>
    public double PooledSeedSpread => Math.Sqrt((SampleVariance(Reference) + SampleVariance(Ours)) / 2);

    /// <summary>
    /// The standard error of <see cref="MeanDifference"/> from the seed spread: <c>s_p·√(1/k_ref + 1/k_ours)</c> over the
    /// k seeds of each side.
    /// </summary>
    public double StandardError => PooledSeedSpread * Math.Sqrt(1.0 / Reference.Length + 1.0 / Ours.Length);

    /// <summary>
    /// The allowed |mean difference|: two standard errors (about a 95 % two-sample bound, so that two implementations whose
    /// results differ only as much as seeds make them pass), at least <see cref="Resolution"/>.
    /// </summary>
    public double Bound => Math.Max(2 * StandardError, Resolution);

    /// <summary>
    /// Whether |<see cref="MeanDifference"/>| ≤ <see cref="Bound"/>, up to 1e-9 for the decimal rounding of the stored
    /// fractions (far below one weight of any layer).
    /// </summary>
    public bool WithinSeedSpread => Math.Abs(MeanDifference) <= Bound + 1e-9;

    /// <summary>A Markdown table row in percent (points for the difference and the spread).</summary>
    public string ToMarkdownRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Metric} | {Range(Reference)} | {Range(Ours)} | {100 * MeanDifference:+0.00;−0.00;0.00} | {100 * PooledSeedSpread:F2} | {100 * Bound:F2} | {(WithinSeedSpread ? "yes" : "**no**")} |");

    /// <summary>The header of <see cref="ToMarkdownRow"/>'s table.</summary>
    public const string MarkdownHeader =
        "| quantity | reference, mean (min–max) % | ours, mean (min–max) % | Δ mean (points) | pooled seed s.d. (points) | bound (points) | within |\n|---|---|---|---|---|---|---|";

    private static string Range(double[] v) =>
        string.Create(CultureInfo.InvariantCulture, $"{100 * v.Average():F2} ({100 * v.Min():F2}–{100 * v.Max():F2})");

    private static double SampleVariance(double[] v)
    {
        if (v.Length < 2) return 0;
        double mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
    }
}

/// <summary>
/// Compares our epoch runs with the reference's, seed by seed (docs/parity.md, "One epoch end to end"): the held-out
/// accuracy before and after the epoch and every layer's sparsity after it, each against the seed spread.
/// </summary>
internal static class ReferenceEpochComparison
{
    /// <summary>
    /// The comparisons of <paramref name="ours"/> with <paramref name="reference"/>: both must hold the same seeds and the
    /// same layers. <paramref name="heldOutImages"/> and <paramref name="layerSizes"/> give the resolution of each quantity.
    /// </summary>
    public static IReadOnlyList<EpochMetricComparison> Compare(IReadOnlyList<EpochRunResult> reference, IReadOnlyList<EpochRunResult> ours,
        int heldOutImages, IReadOnlyDictionary<string, long> layerSizes)
    {
        var seeds = reference.Select(r => r.Seed).Order().ToArray();
        if (!seeds.SequenceEqual(ours.Select(r => r.Seed).Order()))
            throw new ArgumentException($"the reference has seeds {string.Join(", ", seeds)}, ours {string.Join(", ", ours.Select(r => r.Seed).Order())}");
        var refBySeed = reference.ToDictionary(r => r.Seed);
        var oursBySeed = ours.ToDictionary(r => r.Seed);
        EpochMetricComparison Of(string metric, Func<EpochRunResult, double> value, double resolution) =>
            new(metric, seeds.Select(s => value(refBySeed[s])).ToArray(), seeds.Select(s => value(oursBySeed[s])).ToArray(), resolution);

        var rows = new List<EpochMetricComparison>
        {
            Of("initial accuracy", r => r.InitialAccuracy, 1.0 / heldOutImages),
            Of("accuracy", r => r.Accuracy, 1.0 / heldOutImages),
        };
        foreach (var layer in reference[0].Sparsity.Keys)
        {
            if (!layerSizes.TryGetValue(layer, out long size)) throw new ArgumentException($"no size for layer '{layer}'");
            foreach (var run in ours)
                if (!run.Sparsity.ContainsKey(layer)) throw new ArgumentException($"our run of seed {run.Seed} has no sparsity of '{layer}'");
            rows.Add(Of(layer, r => r.Sparsity[layer], 1.0 / size));
        }
        return rows;
    }
}
