using System.Globalization;

namespace ECQx.Results;

/// <summary>
/// The summary of paired differences (one per seed, e.g. ECQx − ECQ accuracy at matched sparsity): mean, sample standard
/// deviation and the two-sided 95 % confidence interval of the mean from Student's t distribution.
/// </summary>
/// <param name="Count">Number of finite differences summarised.</param>
/// <param name="Mean">Their mean (NaN without any).</param>
/// <param name="StandardDeviation">Their sample standard deviation (n − 1; NaN with fewer than two).</param>
/// <param name="Low">Lower end of the 95 % interval of the mean (NaN with fewer than two).</param>
/// <param name="High">Upper end of the 95 % interval of the mean (NaN with fewer than two).</param>
public sealed record PairedDifference(int Count, double Mean, double StandardDeviation, double Low, double High)
{
    /// <summary>True when the 95 % interval lies entirely above zero: the second method is ahead beyond the seeds' spread.</summary>
    public bool Positive => Count >= 2 && Low > 0;

    /// <summary>True when the 95 % interval lies entirely below zero.</summary>
    public bool Negative => Count >= 2 && High < 0;

    /// <summary>"+1.23 ± 0.45 (95 % CI +0.12 … +2.34, n = 3)", or what is undefined.</summary>
    public override string ToString()
    {
        static string P(double v) => v.ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture);
        if (Count == 0) return "no values";
        if (Count == 1) return $"{P(Mean)} (one value, no interval)";
        return $"{P(Mean)} ± {StandardDeviation.ToString("0.00", CultureInfo.InvariantCulture)} (95 % CI {P(Low)} … {P(High)}, n = {Count})";
    }

    /// <summary>Summarises <paramref name="differences"/>; NaN entries (pairs that could not be matched) are left out.</summary>
    public static PairedDifference Of(IEnumerable<double> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var d = differences.Where(double.IsFinite).ToList();
        if (d.Count == 0) return new PairedDifference(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double mean = d.Average();
        if (d.Count == 1) return new PairedDifference(1, mean, double.NaN, double.NaN, double.NaN);
        double sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (d.Count - 1));
        double half = StudentT975(d.Count - 1) * sd / Math.Sqrt(d.Count);
        return new PairedDifference(d.Count, mean, sd, mean - half, mean + half);
    }

    private static readonly double[] T975 =
    {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    };

    /// <summary>
    /// The 97.5 % quantile of Student's t with <paramref name="degreesOfFreedom"/> (the half-width factor of a two-sided 95 %
    /// interval): tabulated up to 30, beyond that the Cornish–Fisher expansion around the normal quantile (error &lt; 0.001).
    /// </summary>
    public static double StudentT975(int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "needs at least one degree of freedom");
        if (degreesOfFreedom <= T975.Length) return T975[degreesOfFreedom - 1];
        const double z = 1.959963985;
        double n = degreesOfFreedom;
        return z + (z * z * z + z) / (4 * n) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
    }
}
