using System.Globalization;
using ECQx.Results;

namespace ECQx.XaiCompression;

/// <summary>One measured outcome of a compression method at one setting and seed, with the budget it spent.</summary>
/// <param name="Setting">The matched budget the methods share (e.g. "30 % of parameters", "2.5 bits").</param>
/// <param name="Method">The method (e.g. <c>deeplift</c>, <c>magnitude</c>, <c>uniform</c>).</param>
/// <param name="Seed">The seed (calibration batches, fine-tuning order, k-means start).</param>
/// <param name="Value">The outcome compared (e.g. test accuracy in %).</param>
/// <param name="Spent">The budget this run actually spent, in the setting's unit (parameters, average bits, bytes).</param>
public sealed record MethodOutcome(string Setting, string Method, long Seed, double Value, double Spent);

/// <summary>A method against the baseline at one setting: the paired differences over the seeds both ran.</summary>
/// <param name="Setting">The shared setting.</param>
/// <param name="Method">The method.</param>
/// <param name="Baseline">The baseline method.</param>
/// <param name="Difference">Method − baseline, paired by seed (<see cref="PairedDifference"/>: mean, sd, 95 % Student-t interval).</param>
/// <param name="MethodSpent">The method's spent budget, mean over its seeds.</param>
/// <param name="BaselineSpent">The baseline's spent budget, mean over its seeds.</param>
public sealed record MethodComparison(string Setting, string Method, string Baseline, PairedDifference Difference, double MethodSpent, double BaselineSpent)
{
    /// <summary>
    /// "ahead" when the 95 % interval lies above zero, "behind" when below, "no difference" when it covers zero, and
    /// "one seed, no interval" / "no paired seeds" when there is no interval.
    /// </summary>
    public string Verdict => Difference.Count == 0 ? "no paired seeds"
        : Difference.Count == 1 ? "one seed, no interval"
        : Difference.Positive ? "ahead" : Difference.Negative ? "behind" : "no difference";

    /// <summary>"deeplift − magnitude at 30 %: +1.23 ± 0.45 (95 % CI … , n = 5): ahead".</summary>
    public override string ToString() => $"{Method} − {Baseline} at {Setting}: {Difference}: {Verdict}";

    /// <summary>
    /// Pairs every non-baseline method's outcomes with the <paramref name="baseline"/>'s of the same setting and seed, in
    /// the order the settings and methods first appear. A seed that only one of the two ran is left out (and shows as a
    /// smaller n); two outcomes of one method, setting and seed are an error.
    /// </summary>
    public static IReadOnlyList<MethodComparison> Against(IEnumerable<MethodOutcome> outcomes, string baseline)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseline);
        var list = outcomes.ToList();
        var byKey = new Dictionary<(string, string, long), MethodOutcome>();
        foreach (var o in list)
            if (!byKey.TryAdd((o.Setting, o.Method, o.Seed), o))
                throw new ArgumentException($"two outcomes of method '{o.Method}' at '{o.Setting}' for seed {o.Seed}");
        if (!list.Any(o => o.Method == baseline)) throw new ArgumentException($"no outcome of the baseline method '{baseline}'");
        var result = new List<MethodComparison>();
        foreach (var setting in list.Select(o => o.Setting).Distinct())
        {
            var base0 = list.Where(o => o.Setting == setting && o.Method == baseline).ToList();
            foreach (var method in list.Where(o => o.Setting == setting && o.Method != baseline).Select(o => o.Method).Distinct())
            {
                var mine = list.Where(o => o.Setting == setting && o.Method == method).ToList();
                var diffs = mine.Where(o => byKey.ContainsKey((setting, baseline, o.Seed)))
                    .Select(o => o.Value - byKey[(setting, baseline, o.Seed)].Value);
                result.Add(new MethodComparison(setting, method, baseline, PairedDifference.Of(diffs),
                    mine.Average(o => o.Spent), base0.Count == 0 ? double.NaN : base0.Average(o => o.Spent)));
            }
        }
        return result;
    }

    /// <summary>Formats a spent budget: from 1,000 on rounded with thousands separators (parameter counts, bytes), below with up to four decimals (bits).</summary>
    public static string FormatSpent(double spent) =>
        double.IsNaN(spent) ? "–" : Math.Abs(spent) >= 1000
            ? spent.ToString("N0", CultureInfo.InvariantCulture) : spent.ToString("0.####", CultureInfo.InvariantCulture);
}
