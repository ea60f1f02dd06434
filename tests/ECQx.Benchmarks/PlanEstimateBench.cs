using System.Diagnostics;
using System.Globalization;
using ECQx.Experiments;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio bench <c>plan</c>: how well <c>ecqx reproduce --plan</c>'s estimated wall times predict a real sweep. Calibrates
/// the quick primer sweep (<c>reproduce primer --quick</c>) into a fresh step-time cache, runs the sweep in this process in
/// a temporary results folder, and prints, per baseline and run, the estimate against the measured <c>wall_seconds</c> of
/// <c>results.csv</c> and their ratio, then the totals. Target (issue #23): within ±30 %.
/// Environment: <c>ECQX_BENCH_THREADS</c> (torch threads, default 1: on a shared machine two threads oversubscribe).
/// </summary>
internal static class PlanEstimateBench
{
    private const double Tolerance = 0.30;

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init() => RatioBenches.Register("plan", Run);

    private static void Run()
    {
        string root = Directory.CreateTempSubdirectory("ecqx-plan-bench-").FullName;
        int threads = int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_THREADS"), out int t) && t > 0 ? t : 1;
        var settings = new ExperimentSettings { Experiment = "primer", Quick = true, OutputRoot = Path.Combine(root, "results"), Threads = threads };
        try
        {
            var runner = new ExperimentRunner(settings, line => Console.WriteLine("  | " + line));
            var cache = StepTimeCache.Load(Path.Combine(root, "cache", StepTimeCache.FileName));
            var calibration = Stopwatch.StartNew();
            var status = runner.Plan(new PlanTiming(cache, Calibrate: true));
            var estimate = status.Estimate ?? throw new InvalidOperationException("no estimate: " + status.EstimateNote);
            Console.WriteLine($"calibration (data loading included): {calibration.Elapsed.TotalSeconds:F1} s, for {estimate.Target.Device}, " +
                              $"{estimate.Target.Threads} thread(s) on {estimate.Target.Machine}");

            var sweep = Stopwatch.StartNew();
            var outcome = runner.Run();
            double wall = sweep.Elapsed.TotalSeconds;
            var measured = MeasuredSeconds(Path.Combine(outcome.Directory, "results.csv"));

            Console.WriteLine();
            Console.WriteLine($"{"step",-32} {"estimated s",12} {"measured s",11} {"est/meas",9}  within ±{Tolerance * 100:F0} %");
            var rows = estimate.BaselineSeconds.Select(kv => (Name: ExperimentRunner.BaselineName(kv.Key), Estimated: kv.Value))
                .Concat(estimate.RunSeconds.Select(kv => (Name: kv.Key, Estimated: kv.Value)));
            double estimatedSum = 0, measuredSum = 0;
            foreach (var (name, est) in rows)
            {
                if (!measured.TryGetValue(name, out double m)) { Console.WriteLine($"{name,-32} {est,12:F1} {"(missing)",11}"); continue; }
                estimatedSum += est;
                measuredSum += m;
                Console.WriteLine(Row(name, est, m));
            }
            Console.WriteLine(Row("sum of the steps", estimatedSum, measuredSum));
            Console.WriteLine(Row("whole sweep (process wall)", estimate.TotalSeconds, wall));
            Console.WriteLine("(the process wall adds data loading and the summary files after every run, which the estimate leaves out)");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static string Row(string name, double estimated, double measured)
    {
        double ratio = estimated / measured;
        return $"{name,-32} {estimated,12:F1} {measured,11:F1} {ratio,9:F2}  {(Math.Abs(ratio - 1) <= Tolerance ? "yes" : "NO")}";
    }

    /// <summary>wall_seconds of every row of results.csv by step name: <c>baseline-&lt;model&gt;</c> for FP32 rows, the run name (its .ecqx file) otherwise.</summary>
    private static Dictionary<string, double> MeasuredSeconds(string csv)
    {
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        int model = Array.IndexOf(header, "model"), method = Array.IndexOf(header, "method"), file = Array.IndexOf(header, "ecqx_file"),
            wall = Array.IndexOf(header, "wall_seconds");
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(','); // the primer's cells hold no commas
            string name = cells[method] == "FP32" ? ExperimentRunner.BaselineName(cells[model]) : Path.GetFileNameWithoutExtension(cells[file]);
            seconds[name] = double.Parse(cells[wall], CultureInfo.InvariantCulture);
        }
        return seconds;
    }
}
