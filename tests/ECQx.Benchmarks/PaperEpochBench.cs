using System.Diagnostics;
using System.Globalization;
using ECQx.Data;
using ECQx.Data.Cifar;
using ECQx.Models;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Benchmarks;

/// <summary>
/// Benches <c>paper-epoch-resnet20</c>, <c>paper-epoch-vgg16</c> and <c>paper-epoch-mlp_gsc</c>: one paper-scale epoch of
/// full-precision training and one of ECQx training (4 bit, Λ 0.05, LRP every batch), what a user plans the paper's
/// sweeps with. CIFAR models read 50,000 + 10,000 random images written in CIFAR-10's binary format through the real
/// loader (augmentation, normalisation; batch 64 as the cifar10 sweep); MLP_GSC trains on 85,511 + 4,890 random
/// 49×10 MFCC maps held in memory (batch 100 as the gsc sweep; the feature-cache mode, without WAV decoding). Per run:
/// the epoch's training time, the test evaluation, the initial quantization, and the peak RSS of the run (the kernel's
/// counter is reset at its start). <c>ECQX_BENCH_MAX_BATCHES=N</c> stops each epoch after N batches and extrapolates the
/// epoch from the median step time (said so in the output). CPU, 2 threads (<c>ECQX_BENCH_THREADS</c>).
/// </summary>
internal static class PaperEpochBench
{
    private const int CifarTrain = 50_000, CifarTest = 10_000, GscTrain = 85_511, GscTest = 4_890;

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Init()
    {
        RatioBenches.Register("paper-epoch-resnet20", () => Run("resnet20", 64));
        RatioBenches.Register("paper-epoch-vgg16", () => Run("vgg16", 64));
        RatioBenches.Register("paper-epoch-mlp_gsc", () => Run("mlp_gsc", 100));
    }

    private static void Run(string modelName, int batch)
    {
        TorchRuntime.EnsureLoaded();
        int threads = RatioBenches.PositiveSetting("ECQX_BENCH_THREADS") ?? 2;
        torch.set_num_threads(threads);
        int? maxBatches = RatioBenches.PositiveSetting("ECQX_BENCH_MAX_BATCHES");
        string dataDir = Directory.CreateTempSubdirectory("ecqx-paper-epoch-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            using var data = modelName == "mlp_gsc" ? RandomMfcc(batch) : RandomCifar(dataDir, batch);
            Console.WriteLine($"{modelName}, batch {batch}, CPU, {threads} threads; {data.Train.Count:N0} train / {data.Test.Count:N0} test samples " +
                              $"({data.Name}, prepared in {sw.Elapsed.TotalSeconds:F1} s); load average {RatioBenches.LoadAverage()}");
            foreach (bool ecqx in new[] { false, true })
                OneRun(modelName, batch, data, ecqx, maxBatches);
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private static void OneRun(string modelName, int batch, DatasetSplits data, bool ecqx, int? maxBatches)
    {
        NativeHeap.Release();
        var (rssBefore, _) = MemoryStagesBench.Memory();
        MemoryStagesBench.ResetPeak();
        using var model = ModelZoo.Create(modelName, data.Train.NumClasses, seed: 1);
        var options = new TrainerOptions { Epochs = 1, BatchSize = batch, MaxBatchesPerEpoch = maxBatches, Patience = 0, Seed = 1, Threads = torch.get_num_threads() };
        using var quantizer = ecqx ? new EcqWeightQuantizer(new Quantization.EcqQuantizerSettings { Bits = 4, Ecq = Quantization.EcqOptions.Default with { Lambda = 0.05 } }) : null;
        var relevance = ecqx ? RelevanceMethods.Create("lrp") : null;
        using var disposeRelevance = relevance as IDisposable;
        using var trainer = new QuantizationAwareTrainer(model, data, options, quantizer, relevance);
        var steps = new List<double>();
        var clock = Stopwatch.StartNew();
        double last = 0;
        trainer.BatchCompleted += (_, p) =>
        {
            double now = clock.Elapsed.TotalMilliseconds;
            steps.Add(now - last);
            last = now;
        };
        trainer.EpochCompleted += (_, _) => last = clock.Elapsed.TotalMilliseconds;
        var result = trainer.Run();
        var (rssAfter, peak) = MemoryStagesBench.Memory();
        var epoch = result.History.Last(r => r.Epoch == 1);
        var initial = result.History.FirstOrDefault(r => r.Phase == TrainingPhase.Initial);
        // The first step of an epoch also waits for its first batch and warms the allocator: the median is the step time.
        double stepMs = RatioBenches.Median(steps.Skip(1).DefaultIfEmpty(steps.FirstOrDefault()));
        double trainSeconds = steps.Sum() / 1000;
        double evalSeconds = epoch.WallSeconds - trainSeconds;
        int full = data.Train.BatchesPerEpoch;
        string kind = ecqx ? "ECQx (4 bit, Λ 0.05, LRP every batch)" : "FP (Adam)";
        string I(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        Console.WriteLine($"  {kind}: {steps.Count} of {full} steps, median step {I(stepMs)} ms; " +
                          (steps.Count < full
                              ? $"epoch EXTRAPOLATED to {I(stepMs * full / 1000)} s of training ({I((stepMs * full / 1000 + evalSeconds) / 60)} min with the test pass)"
                              : $"epoch {I(trainSeconds)} s of training ({I(epoch.WallSeconds / 60)} min with the test pass)") +
                          $"; test pass {I(evalSeconds)} s" + (initial is null ? "" : $"; initial quantization with its test pass {I(initial.WallSeconds)} s") +
                          $"; peak RSS {peak:F0} MB (RSS {rssBefore:F0} MB before, {rssAfter:F0} MB after); load average {RatioBenches.LoadAverage()}");
    }

    /// <summary>CIFAR-10's binary files (5 training batches and the test batch of 10,000 records each) filled with random pixels and labels, read by the real loader.</summary>
    private static DatasetSplits RandomCifar(string dir, int batch)
    {
        var rng = new Random(7);
        var record = new byte[1 + 3 * 32 * 32];
        void Write(string file, int count)
        {
            using var f = File.Create(Path.Combine(dir, file));
            for (int i = 0; i < count; i++)
            {
                rng.NextBytes(record);
                record[0] = (byte)(record[0] % 10);
                f.Write(record);
            }
        }
        foreach (var file in Cifar10Binary.TrainFiles) Write(file, CifarTrain / Cifar10Binary.TrainFiles.Count);
        Write(Cifar10Binary.TestFile, CifarTest);
        var splits = Cifar10.Load(dir, new Cifar10Options { BatchSize = batch, Seed = 1 });
        return new DatasetSplits("random images in CIFAR-10's binary format", splits.Train, splits.Test);
    }

    /// <summary>Random 49×10 MFCC maps (flattened to 490, as MLP_GSC reads them) and labels of the 12-class task, held in memory.</summary>
    private static DatasetSplits RandomMfcc(int batch)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(7);
        var options = new BatchOptions { BatchSize = batch, Seed = 1 };
        var train = new InMemoryBatchSource(torch.randn(new long[] { GscTrain, 490 }, generator: g), torch.randint(0, 12, new long[] { GscTrain }, generator: g, dtype: int64), 12, options with { Shuffle = true });
        var test = new InMemoryBatchSource(torch.randn(new long[] { GscTest, 490 }, generator: g), torch.randint(0, 12, new long[] { GscTest }, generator: g, dtype: int64), 12, options);
        return new DatasetSplits("random MFCC-shaped features in memory", train, test);
    }
}
