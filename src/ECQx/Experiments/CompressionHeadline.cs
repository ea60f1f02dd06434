using System.Globalization;
using ECQx.Plots;
using ECQx.Results;

namespace ECQx.Experiments;

/// <summary>
/// The paper's headline for one method: the largest compression factor among its runs whose accuracy stays within
/// <see cref="TolerancePoints"/> of the full-precision baseline (see <see cref="CompressionHeadline.Find"/>).
/// </summary>
/// <param name="Method">The method.</param>
/// <param name="Best">Its run with the largest ×-factor inside the tolerance, or null when no run qualifies.</param>
/// <param name="BaselineAccuracyPercent">The baseline's accuracy (%).</param>
/// <param name="TolerancePoints">The allowed accuracy drop in percentage points.</param>
public sealed record Headline(string Method, QuantizationResult? Best, double BaselineAccuracyPercent, double TolerancePoints)
{
    /// <summary>A sentence such as <c>ECQx: 37.2× smaller at 4 bit, Λ = 0.2 (accuracy 91.30 %, −0.20 points vs FP; sparsity 88.1 %)</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        if (Best is not { } b)
            return string.Create(c, $"{Method}: no run within {TolerancePoints:0.##} points of the baseline ({BaselineAccuracyPercent:F2} %)");
        double delta = b.AccuracyPercent - BaselineAccuracyPercent;
        string lambda = b.Lambda is double l ? string.Create(c, $", Λ = {l:G4}") : "";
        return string.Create(c, $"{Method}: {b.CompressionFactor:F1}× smaller at {b.BitWidth} bit{lambda} (accuracy {b.AccuracyPercent:F2} %, ") +
               (delta >= 0 ? "+" : "−") + string.Create(c, $"{Math.Abs(delta):F2} points vs FP; sparsity {b.SparsityPercent:F1} %)");
    }
}

/// <summary>Finds the paper-style headline: the largest compression factor within a tolerance of the baseline's accuracy.</summary>
public static class CompressionHeadline
{
    /// <summary>The paper's tolerance: half a percentage point of top-1 accuracy.</summary>
    public const double PaperTolerancePoints = 0.5;

    /// <summary>
    /// One <see cref="Headline"/> per method (in order of first appearance): among the method's results with a
    /// compression factor and an accuracy of at least baseline − <paramref name="tolerancePoints"/> (inclusive), the one
    /// with the largest factor; on equal factors the more accurate one.
    /// </summary>
    public static IReadOnlyList<Headline> Find(IEnumerable<QuantizationResult> results, double baselineAccuracyPercent,
        double tolerancePoints = PaperTolerancePoints)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (!double.IsFinite(baselineAccuracyPercent)) throw new ArgumentException($"baseline accuracy is {baselineAccuracyPercent}; expected a finite percentage");
        if (!(tolerancePoints >= 0) || double.IsInfinity(tolerancePoints)) throw new ArgumentException($"tolerance is {tolerancePoints}; expected a finite number ≥ 0");
        var list = results.ToList();
        double floor = baselineAccuracyPercent - tolerancePoints;
        return list.Select(r => r.Method).Distinct().Select(m =>
        {
            var best = list.Where(r => r.Method == m && r.CompressionFactor is double f && double.IsFinite(f) && r.AccuracyPercent >= floor - 1e-9)
                .OrderByDescending(r => r.CompressionFactor!.Value).ThenByDescending(r => r.AccuracyPercent).FirstOrDefault();
            return new Headline(m, best, baselineAccuracyPercent, tolerancePoints);
        }).ToList();
    }
}
