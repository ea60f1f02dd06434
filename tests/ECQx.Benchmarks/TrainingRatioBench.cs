using System.Diagnostics;
using System.Globalization;
using ECQx.Data;
using ECQx.Models;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>
/// Ratio benches <c>training</c> (ResNet20, batch 128) and <c>training-vgg16</c> (VGG16, batch 64): the cost of an ECQ
/// and an ECQx step (LRP every batch) relative to a plain FP step, on CPU with 2 threads. The three trainers run in one
/// process and take turns step by step (FP, ECQ, ECQx, FP, …: <see cref="TurnTakingBatchSource"/>), so a noisy moment on
/// a shared machine lands on all three alike; each round gives paired ratios ECQ/FP and ECQx/FP, whose median over the
/// rounds is one repeat's result. The bench repeats that with fresh trainers and prints each repeat's medians and their
/// spread (half the range over the median), which says how large a change it can see.
/// The three trainers share one allocator arena (<see cref="SingleArena"/>), as the one trainer of a real run does.
/// Targets (issue #23): ECQ/FP ≤ 1.05, ECQx/FP ≤ 2.0.
/// Environment: <c>ECQX_BENCH_ROUNDS</c> (default 15 measured rounds), <c>ECQX_BENCH_REPEATS</c> (default 3).
/// </summary>
internal static class TrainingRatioBench
{
    private const int WarmupRounds = 2;
    private const double EcqTarget = 1.05, EcqxTarget = 2.0;

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init()
    {
        RatioBenches.Register("training", () => { if (!SingleArena.Relaunched("training")) Run("resnet20", 128); });
        RatioBenches.Register("training-vgg16", () => { if (!SingleArena.Relaunched("training-vgg16")) Run("vgg16", 64); });
    }

    /// <summary>The relevance method the ECQx step uses (LRP, reference default composite).</summary>
    internal static Func<IWeightRelevanceMethod?> EcqxRelevance = () => BenchRelevance.Create("lrp");

    private static void Run(string model, int batch)
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(2);
        int rounds = RatioBenches.PositiveSetting("ECQX_BENCH_ROUNDS") ?? 15, repeats = RatioBenches.PositiveSetting("ECQX_BENCH_REPEATS") ?? 3;
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        string R(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine($"{model}, batch {batch}, CPU, 2 threads; FP, ECQ and ECQx steps interleaved, {rounds} measured rounds " +
                          $"(after {WarmupRounds} warm-up rounds) per repeat, {repeats} repeats; load average {RatioBenches.LoadAverage()}");
        var results = new List<RepeatResult>();
        for (int r = 0; r < repeats; r++)
        {
            var result = OneRepeat(model, batch, rounds);
            results.Add(result);
            Console.WriteLine($"  repeat {r + 1}: FP {F(result.FpMs)} ms, ECQ {F(result.EcqMs)} ms, ECQx {F(result.EcqxMs)} ms (medians); " +
                              $"paired medians ECQ/FP {R(result.EcqRatio)}, ECQx/FP {R(result.EcqxRatio)}");
        }
        static (double Median, double Spread) Summary(IReadOnlyCollection<double> xs) => (RatioBenches.Median(xs), (xs.Max() - xs.Min()) / 2 / RatioBenches.Median(xs));
        var ecq = Summary(results.Select(x => x.EcqRatio).ToList());
        var ecqx = Summary(results.Select(x => x.EcqxRatio).ToList());
        string P(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture);
        Console.WriteLine($"  ECQ/FP  = {R(ecq.Median)} ± {P(ecq.Spread)} % over repeats  (target ≤ {EcqTarget:F2}: {(ecq.Median <= EcqTarget ? "met" : "NOT met")})");
        Console.WriteLine($"  ECQx/FP = {R(ecqx.Median)} ± {P(ecqx.Spread)} % over repeats  (target ≤ {EcqxTarget:F2}: {(ecqx.Median <= EcqxTarget ? "met" : "NOT met")})");
        Console.WriteLine($"  load average after: {RatioBenches.LoadAverage()}");
    }

    private sealed record RepeatResult(double FpMs, double EcqMs, double EcqxMs, double EcqRatio, double EcqxRatio);

    private static RepeatResult OneRepeat(string modelName, int batch, int rounds)
    {
        int steps = WarmupRounds + rounds + 1; // the last round overlaps the trainers' epoch ends: not measured
        using var data = RandomCifarBatches(batch, steps);
        const int kinds = 3; // 0 FP, 1 ECQ, 2 ECQx
        var gates = Enumerable.Range(0, kinds).Select(_ => new SemaphoreSlim(0)).ToArray();
        var starts = new double[kinds, steps];
        var ends = new double[kinds, steps];
        var clock = Stopwatch.StartNew();
        var failures = new Exception?[kinds];
        var threads = Enumerable.Range(0, kinds).Select(k => new Thread(() =>
        {
            try
            {
                using var model = ModelZoo.Create(modelName, seed: 1);
                var options = new TrainerOptions { Epochs = 1, BatchSize = batch, MaxBatchesPerEpoch = steps, Patience = 0, Seed = 1 };
                using var quantizer = k == 0 ? null : new EcqWeightQuantizer();
                var relevance = k == 2 ? EcqxRelevance() ?? throw new InvalidOperationException("no LRP method in this build") : null;
                using var disposeRelevance = relevance as IDisposable;
                var turns = new TurnTakingBatchSource(data.Train, gates[k], i => starts[k, i] = clock.Elapsed.TotalMilliseconds);
                var splits = new DatasetSplits(data.Name, turns, data.Test);
                using var trainer = new QuantizationAwareTrainer(model, splits, options, quantizer, relevance);
                int done = 0;
                trainer.BatchCompleted += (_, _) =>
                {
                    ends[k, done++] = clock.Elapsed.TotalMilliseconds;
                    gates[(k + 1) % kinds].Release(); // the next kind's step
                };
                trainer.Run();
            }
            catch (Exception e)
            {
                failures[k] = e;
                foreach (var g in gates) g.Release(steps); // let the others finish instead of waiting forever
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in threads) t.Start();
        gates[0].Release();
        foreach (var t in threads) t.Join();
        if (failures.FirstOrDefault(f => f is not null) is Exception failure) throw new InvalidOperationException("a bench trainer failed", failure);

        double Ms(int k, int i) => ends[k, i] - starts[k, i];
        var measured = Enumerable.Range(WarmupRounds, rounds).ToList();
        return new RepeatResult(RatioBenches.Median(measured.Select(i => Ms(0, i))), RatioBenches.Median(measured.Select(i => Ms(1, i))), RatioBenches.Median(measured.Select(i => Ms(2, i))),
            RatioBenches.Median(measured.Select(i => Ms(1, i) / Ms(0, i))), RatioBenches.Median(measured.Select(i => Ms(2, i) / Ms(0, i))));
    }

    /// <summary>Random CIFAR-shaped batches for one epoch of <paramref name="steps"/> batches (seed 1, as the trainer); no test set.</summary>
    private static DatasetSplits RandomCifarBatches(int batch, int steps)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        long n = (long)batch * steps;
        var options = new BatchOptions { BatchSize = batch, Seed = 1 };
        var train = new InMemoryBatchSource(torch.randn(new long[] { n, 3, 32, 32 }, generator: g), torch.randint(0, 10, new long[] { n }, generator: g, dtype: int64), 10, options with { Shuffle = true });
        var test = new InMemoryBatchSource(torch.zeros(0, 3, 32, 32), torch.zeros(0, dtype: int64), 10, options);
        return new DatasetSplits("random CIFAR-shaped", train, test);
    }
}

/// <summary>
/// A view of a training source whose batches come one turn at a time: before yielding a batch (already fetched) it
/// waits on its gate and records the moment the turn began. The trainer's batch-completed handler passes the turn on. Disposing it does not
/// dispose the shared source.
/// </summary>
internal sealed class TurnTakingBatchSource(IBatchSource inner, SemaphoreSlim gate, Action<int> turnBegan) : IBatchSource
{
    public int Count => inner.Count;
    public int NumClasses => inner.NumClasses;
    public long[] InputShape => inner.InputShape;
    public int BatchSize => inner.BatchSize;
    public int BatchesPerEpoch => inner.BatchesPerEpoch;
    public ulong Seed => inner.Seed;
    public Device Device => inner.Device;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;

    public IEnumerable<(Tensor inputs, Tensor labels)> Batches(int epoch)
    {
        int i = 0;
        using var e = inner.Batches(epoch).GetEnumerator();
        while (e.MoveNext())
        {
            gate.Wait();
            turnBegan(i++);
            yield return e.Current;
        }
    }

    public void Dispose() { }
}

/// <summary>Resolves a relevance method for the bench.</summary>
internal static class BenchRelevance
{
    public static IWeightRelevanceMethod? Create(string name) => RelevanceMethods.Create(name);
}

/// <summary>
/// Runs a bench in a child process whose C library uses one malloc arena, as a real run's single trainer thread does. With
/// an arena per thread, each of the interleaved trainers kept its own heap and its steps were consistently faster or
/// slower for a whole repeat (ResNet20 ECQ/FP 0.97–1.73 between repeats; 1.02–1.11 with one arena).
/// </summary>
internal static class SingleArena
{
    private const string Variable = "MALLOC_ARENA_MAX";

    /// <summary>
    /// Unless this process already runs with <c>MALLOC_ARENA_MAX</c> set, runs <c>ratios <paramref name="bench"/></c> again in a child
    /// process with one arena and the package's own allocator settings (which any <c>MALLOC_*</c> variable switches off,
    /// so they are passed as variables too), passes its output through and returns true.
    /// </summary>
    public static bool Relaunched(string bench)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null) return false;
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("no process path to relaunch the bench"))
        {
            UseShellExecute = false,
        };
        // Started as `dotnet ECQx.Benchmarks.dll …`: the host needs the assembly again.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(SingleArena).Assembly.Location);
        start.ArgumentList.Add("ratios");
        start.ArgumentList.Add(bench);
        start.Environment[Variable] = "1";
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = NativeHeap.MmapThresholdBytes.ToString(CultureInfo.InvariantCulture);
        start.Environment["MALLOC_TRIM_THRESHOLD_"] = int.MaxValue.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"(relaunched with {Variable}=1)");
        using var child = Process.Start(start) ?? throw new InvalidOperationException("the bench could not be relaunched");
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the relaunched bench exited with code {child.ExitCode}");
        return true;
    }
}
