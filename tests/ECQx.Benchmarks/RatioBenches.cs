using System.Diagnostics;
using System.Globalization;

namespace ECQx.Benchmarks;

/// <summary>
/// Quick benches that print ratios (for issue notes). Each bench file registers itself from a
/// <c>[ModuleInitializer]</c> with <see cref="Register"/>; <c>-- ratios NAME</c> runs one, <c>-- ratios</c> runs all.
/// </summary>
public static class RatioBenches
{
    private static readonly Dictionary<string, Action> All = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers a ratio bench under a name.</summary>
    public static void Register(string name, Action run) => All[name] = run;

    /// <summary>Runs <c>ratios [name]</c>; returns false when the arguments are not for this runner.</summary>
    public static bool TryRun(string[] args)
    {
        if (!string.Equals(args[0], "ratios", StringComparison.OrdinalIgnoreCase)) return false;
        var names = args.Length > 1 ? args.Skip(1).ToArray() : All.Keys.OrderBy(k => k).ToArray();
        foreach (var name in names)
        {
            if (!All.TryGetValue(name, out var run))
            {
                Console.Error.WriteLine($"unknown ratio bench '{name}'. Known: {string.Join(", ", All.Keys)}");
                continue;
            }
            Console.WriteLine($"== {name}");
            run();
        }
        return true;
    }

    /// <summary>A positive integer from environment variable <paramref name="name"/>, or null when it is unset or not one.</summary>
    public static int? PositiveSetting(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;

    /// <summary>The median (the mean of the middle two for an even count; NaN for none).</summary>
    public static double Median(IEnumerable<double> xs)
    {
        var v = xs.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The 1, 5 and 15 minute load averages of <c>/proc/loadavg</c>, or "n/a".</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Median wall time in milliseconds of <paramref name="repeats"/> runs after one warm-up.</summary>
    public static double MedianMs(Action action, int repeats = 5)
    {
        action();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }
}
