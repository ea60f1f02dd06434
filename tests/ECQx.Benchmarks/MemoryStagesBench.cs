using System.Globalization;
using ECQx.Experiments;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio benches <c>memory-vgg16</c> and <c>memory-primer</c>: resident memory of this process stage by stage through a
/// quick sweep (<c>ecqx reproduce</c>'s runner, in process): after each line the runner logs (baseline, initial
/// quantization, each epoch, coding), the current RSS, the peak since the previous line (the stage's peak: the kernel's
/// peak counter is reset after every line through <c>/proc/self/clear_refs</c>) and the peak of the whole sweep
/// (<c>VmRSS</c>, <c>VmHWM</c> of <c>/proc/self/status</c>). Target (issue #23): a VGG16 ECQx run under 1.2 GB peak, flat
/// across a sweep.
/// Environment: <c>ECQX_BENCH_MAX_BATCHES</c> (batches per epoch, default 4).
/// </summary>
internal static class MemoryStagesBench
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init()
    {
        RatioBenches.Register("memory-vgg16", () => Run(new ExperimentSettings
        {
            Experiment = "cifar10", Quick = true, Models = ["vgg16"], Bits = [4], Lambdas = [0.4], Methods = ["ECQ", "ECQx"],
        }));
        RatioBenches.Register("memory-primer", () => Run(new ExperimentSettings { Experiment = "primer", Quick = true }));
    }

    /// <summary>(VmRSS, VmHWM) in MB from <c>/proc/self/status</c>.</summary>
    internal static (double Rss, double Peak) Memory()
    {
        double rss = double.NaN, peak = double.NaN;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line) / 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line) / 1024;
        }
        return (rss, peak);
        static double Kb(string line) => double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Resets the kernel's peak-RSS counter of this process (<c>VmHWM</c> := <c>VmRSS</c>); false where it cannot.</summary>
    internal static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Run(ExperimentSettings settings)
    {
        string root = Directory.CreateTempSubdirectory("ecqx-memory-bench-").FullName;
        int maxBatches = int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_MAX_BATCHES"), out int m) && m > 0 ? m : 4;
        settings = settings with { OutputRoot = root, MaxBatchesPerEpoch = maxBatches, Threads = 2 };
        try
        {
            var start = Memory();
            double sweepPeak = start.Peak;
            Console.WriteLine($"start: RSS {start.Rss:F0} MB");
            bool resettable = ResetPeak();
            if (!resettable) Console.WriteLine("(the peak counter cannot be reset here: 'stage peak' is the peak so far)");
            new ExperimentRunner(settings, line =>
            {
                var (rss, peak) = Memory();
                sweepPeak = Math.Max(sweepPeak, peak);
                double managed = GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0;
                Console.WriteLine($"  RSS {rss,6:F0} MB  stage peak {peak,6:F0} MB  sweep peak {sweepPeak,6:F0} MB  managed {managed,5:F0} MB  | {line}");
                ResetPeak();
            }).Run();
            var end = Memory();
            sweepPeak = Math.Max(sweepPeak, end.Peak);
            Console.WriteLine($"end: RSS {end.Rss:F0} MB, peak {sweepPeak:F0} MB (target for VGG16: peak < 1200 MB, flat across the sweep)");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
