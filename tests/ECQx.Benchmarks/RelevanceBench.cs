using System.Diagnostics;
using System.Runtime.CompilerServices;
using ECQx.Models;
using ECQx.Relevance;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio bench <c>relevance</c>: one weight-relevance pass on ResNet-20 at batch 128 (CPU) as a multiple of one
/// ordinary training forward + backward of the same batch. Targets: LRP ≤ 2.5×, DeepLIFT ≤ 3×.
/// The baseline and the method are timed alternately and the ratio is the median of the per-round ratios, so
/// load from other processes on a shared machine affects both sides alike.
/// Environment: <c>ECQX_BENCH_METHODS</c> (comma list, default lrp, deeplift, gradxweight, lrp:alpha2_beta1_flat),
/// <c>ECQX_BENCH_ROUNDS</c> (default 5), <c>ECQX_BENCH_BATCH</c> (default 128), <c>ECQX_BENCH_THREADS</c> (torch threads;
/// 1 makes the process CPU time a clean measure of work on a loaded machine).
/// </summary>
internal static class RelevanceBench
{
    [ModuleInitializer]
    internal static void Init() => RatioBenches.Register("relevance", Run);

    private static void Run()
    {
        TorchRuntime.EnsureLoaded();
        int batch = int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_BATCH"), out var b) ? b : 128;
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_ROUNDS"), out var r) ? r : 5;
        if (int.TryParse(Environment.GetEnvironmentVariable("ECQX_BENCH_THREADS"), out var threads) && threads > 0) set_num_threads(threads);
        var methods = new[] { ("lrp", 2.5), ("deeplift", 3.0), ("gradxweight", double.NaN), ("lrp:alpha2_beta1_flat", double.NaN) };
        string? only = Environment.GetEnvironmentVariable("ECQX_BENCH_METHODS");
        if (!string.IsNullOrWhiteSpace(only))
            methods = only.Split(',').Select(m => (m.Trim(), m.Trim() switch { "lrp" => 2.5, "deeplift" => 3.0, _ => double.NaN })).ToArray();

        using var model = new ResNet20(generator: new Generator(1, CPU));
        string? weights = BundledFiles.Find(BundledFiles.PretrainedResNet20);
        if (weights is not null) StateDictLoader.LoadSafeTensors(model, weights);
        using var gen = new Generator(2, CPU);
        using var x = randn(new long[] { batch, 3, 32, 32 }, generator: gen);
        using var y = randint(0, 10, new long[] { batch }, generator: gen);
        Console.WriteLine($"ResNet-20, batch {batch}, CPU, {get_num_threads()} threads, weights: {(weights is null ? "random" : "pretrained")}, {rounds} alternating rounds");

        model.train();
        void Baseline()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
        }

        foreach (var (name, target) in methods)
        {
            var method = RelevanceMethods.Create(name);
            void Pass()
            {
                using var scope = NewDisposeScope();
                using var rel = method.Attribute(model, x, y);
            }
            Baseline(); Pass(); // warm-up
            var baseMs = new List<double>(); var passMs = new List<double>(); var ratios = new List<double>();
            var baseCpu = new List<double>(); var passCpu = new List<double>(); var cpuRatios = new List<double>();
            for (int i = 0; i < rounds; i++)
            {
                var (tb, cb) = Time(Baseline);
                var (tp, cp) = Time(Pass);
                baseMs.Add(tb); passMs.Add(tp); ratios.Add(tp / tb);
                baseCpu.Add(cb); passCpu.Add(cp); cpuRatios.Add(cp / cb);
            }
            double ratio = Median(ratios), cpuRatio = Median(cpuRatios);
            string verdict = double.IsNaN(target) ? "" : ratio <= target ? $"target ≤ {target}×: ok" : $"target ≤ {target}×: MISSED";
            Console.WriteLine($"{name,-24} wall: pass {Median(passMs),8:F1} ms  fwd+bwd {Median(baseMs),7:F1} ms  ratio {ratio,5:F2}× (min {ratios.Min():F2}, max {ratios.Max():F2})  {verdict}");
            Console.WriteLine($"{"",-24} cpu:  pass {Median(passCpu),8:F1} ms  fwd+bwd {Median(baseCpu),7:F1} ms  ratio {cpuRatio,5:F2}× (process CPU time, robust to load from other processes)");
        }
    }

    /// <summary>Wall-clock and process CPU milliseconds of one call.</summary>
    private static (double Wall, double Cpu) Time(Action a)
    {
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        a();
        double wall = sw.Elapsed.TotalMilliseconds;
        proc.Refresh();
        return (wall, (proc.TotalProcessorTime - cpu0).TotalMilliseconds);
    }

    private static double Median(List<double> v)
    {
        var s = v.OrderBy(d => d).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : 0.5 * (s[s.Count / 2 - 1] + s[s.Count / 2]);
    }
}
