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
/// Ratio bench <c>training</c>: wall time per training step of ResNet20 at batch 128 on CPU with 2 threads, for a
/// plain FP step, an ECQ step (background step, model step, re-quantization of 20 tensors) and an ECQx step with a
/// relevance computation every batch. Times are medians of the intervals between consecutive batch events.
/// Targets: ECQ ≤ 1.15× FP, ECQx ≤ 2.5× FP.
/// </summary>
internal static class TrainingRatioBench
{
    private const int Batch = 128, Steps = 6;

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init() => RatioBenches.Register("training", Run);

    /// <summary>The relevance method the ECQx step uses (LRP, reference default composite).</summary>
    internal static Func<nn.Module<Tensor, Tensor>, IWeightRelevanceMethod?> EcqxRelevance = _ => BenchRelevance.Create("lrp");

    private static void Run()
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(2);
        using var data = RandomCifarBatches(Batch);
        var probe = ModelZoo.Create("resnet20", seed: 1);
        var rel = EcqxRelevance(probe);
        // two interleaved rounds; the faster of the two medians counts (the machine is shared)
        double fp = double.MaxValue, ecq = double.MaxValue, ecqx = rel is null ? double.NaN : double.MaxValue;
        for (int round = 0; round < 2; round++)
        {
            fp = Math.Min(fp, StepMs(data, quantized: false, relevance: null));
            ecq = Math.Min(ecq, StepMs(data, quantized: true, relevance: null));
            if (rel is not null) ecqx = Math.Min(ecqx, StepMs(data, quantized: true, relevance: rel));
        }
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        string R(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine($"ResNet20, batch {Batch}, CPU, 2 threads, best of 2 rounds of the median of {Steps - 1} steps");
        Console.WriteLine($"  FP step   {F(fp)} ms");
        Console.WriteLine($"  ECQ step  {F(ecq)} ms   ECQ/FP  = {R(ecq / fp)}  (target ≤ 1.15)");
        Console.WriteLine(rel is null
            ? "  ECQx step: no relevance method available in this build"
            : $"  ECQx step {F(ecqx)} ms   ECQx/FP = {R(ecqx / fp)}  (target ≤ 2.5; relevance: {rel.Name})");
    }

    private static double StepMs(DatasetSplits data, bool quantized, IWeightRelevanceMethod? relevance)
    {
        var model = ModelZoo.Create("resnet20", seed: 1);
        var options = new TrainerOptions { Epochs = 1, BatchSize = Batch, MaxBatchesPerEpoch = Steps + 1, Patience = 0, Seed = 1 };
        using var q = quantized ? new EcqWeightQuantizer() : null;
        using var trainer = new QuantizationAwareTrainer(model, data, options, q, relevance);
        var stamps = new List<double>();
        var sw = Stopwatch.StartNew();
        trainer.BatchCompleted += (_, _) => stamps.Add(sw.Elapsed.TotalMilliseconds);
        trainer.Run();
        var gaps = stamps.Zip(stamps.Skip(1), (a, b) => b - a).Skip(1).OrderBy(x => x).ToArray();
        return gaps[gaps.Length / 2];
    }

    /// <summary>Random CIFAR-shaped batches, enough for one measured epoch (seed 1, as the trainer); no test set.</summary>
    private static DatasetSplits RandomCifarBatches(int batch)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        long n = (long)batch * (Steps + 1);
        var options = new BatchOptions { BatchSize = batch, Seed = 1 };
        var train = new InMemoryBatchSource(torch.randn(new long[] { n, 3, 32, 32 }, generator: g), torch.randint(0, 10, new long[] { n }, generator: g, dtype: int64), 10, options with { Shuffle = true });
        var test = new InMemoryBatchSource(torch.zeros(0, 3, 32, 32), torch.zeros(0, dtype: int64), 10, options);
        return new DatasetSplits("random CIFAR-shaped", train, test);
    }
}

/// <summary>Resolves a relevance method for the bench.</summary>
internal static class BenchRelevance
{
    public static IWeightRelevanceMethod? Create(string name) => RelevanceMethods.Create(name);
}
