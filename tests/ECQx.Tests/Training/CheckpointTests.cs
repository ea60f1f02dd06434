using System.Text;
using ECQx.IO;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using Xunit;
using ECQx.Tests.Fuzzing;

namespace ECQx.Tests.Training;

/// <summary>Checkpoints that lie: changed settings on resume, damaged bytes, stale temporaries, seeded corruption.</summary>
[Collection(GlobalStateCollection.Name)]
public class CheckpointTests
{
    private static TrainerOptions Opts(string dir, bool resume = false) => new()
    {
        Epochs = 1, BatchSize = 64, LearningRate = 1e-2, Seed = 7, Threads = 1, OutputDirectory = dir, Patience = 0,
        MaxBatchesPerEpoch = 3, Resume = resume,
    };

    private static TrainingResult Train(TrainerOptions options, EcqQuantizerSettings? settings = null, string? relevance = null,
        int? cancelAfterBatch = null, long dataSeed = 1, int trainExamples = 512)
    {
        using var data = TrainingFixtures.Blobs(seed: dataSeed, train: trainExamples, batchSize: options.BatchSize, shuffleSeed: options.Seed);
        var model = TrainingFixtures.Mlp(3);
        using var quantizer = new EcqWeightQuantizer(settings);
        var rel = relevance is null ? null : RelevanceMethods.Create(relevance);
        try
        {
            using var trainer = new QuantizationAwareTrainer(model, data, options, quantizer, rel);
            using var cts = new CancellationTokenSource();
            int seen = 0;
            trainer.BatchCompleted += (_, _) => { if (++seen == cancelAfterBatch) cts.Cancel(); };
            return trainer.Run(cts.Token);
        }
        finally { (rel as IDisposable)?.Dispose(); }
    }

    private static string TrainedDir()
    {
        string dir = TestPaths.NewTempDir();
        Train(Opts(dir));
        Assert.True(File.Exists(Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName)));
        return dir;
    }

    public static TheoryData<string, string, string> ChangedSettings => new()
    {
        { "bits", "bits = 4", "bits = 2" },
        { "lambda", "ecq.lambda = 0.05", "ecq.lambda = 0.5" },
        { "rho", "ecqx.rho = 2", "ecqx.rho = 3" },
        { "p", "ecqx.p = 0.1", "ecqx.p = 0.2" },
        { "percentile", "codebook.percentile = 99.9", "codebook.percentile = 99" },
        { "lr", "learningRate = 0.01", "learningRate = 0.001" },
        { "batches", "maxBatchesPerEpoch = 3", "maxBatchesPerEpoch = 2" },
        { "relevance", "relevance = none", "relevance = gradxweight" },
    };

    [Theory]
    [MemberData(nameof(ChangedSettings))]
    public void ResumeRefusesASettingThatChangesTheResultNamingBothValues(string change, string was, string now)
    {
        string dir = TrainedDir();
        string checkpoint = Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName);
        byte[] before = File.ReadAllBytes(checkpoint);
        var o = Opts(dir, resume: true);
        var s = new EcqQuantizerSettings();
        string? relevance = null;
        switch (change)
        {
            case "bits": s = s with { Bits = 2 }; break;
            case "lambda": s = s with { Ecq = s.Ecq with { Lambda = 0.5 } }; break;
            case "rho": s = s with { Ecqx = s.Ecqx with { Rho = 3 } }; break;
            case "p": s = s with { Ecqx = s.Ecqx with { P = 0.2 } }; break;
            case "percentile": s = s with { Codebook = s.Codebook with { Percentile = 99 } }; break;
            case "lr": o = o with { LearningRate = 1e-3 }; break;
            case "batches": o = o with { MaxBatchesPerEpoch = 2 }; break;
            case "relevance": relevance = "gradxweight"; break;
        }
        var e = Assert.Throws<ArgumentException>(() => Train(o, s, relevance));
        Assert.Contains(checkpoint, e.Message);
        Assert.Contains($"written with {was}, but this run has {now}", e.Message);
        Assert.Equal(before, File.ReadAllBytes(checkpoint)); // nothing was overwritten
    }

    [Fact]
    public void ResumeAcceptsTheSameSettingsAndMoreEpochs()
    {
        string dir = TrainedDir();
        var again = Train(Opts(dir, resume: true));
        Assert.Equal(2, again.History.Count); // initial quantization + epoch 1, nothing re-run

        // a killed run may be resumed with more epochs
        string killed = TestPaths.NewTempDir();
        Assert.Throws<OperationCanceledException>(() => Train(Opts(killed) with { CheckpointEveryBatches = 1 }, cancelAfterBatch: 2));
        var extended = Train(Opts(killed, resume: true) with { CheckpointEveryBatches = 1, Epochs = 2 });
        Assert.Equal(new[] { 0, 1, 2 }, extended.History.Select(r => r.Epoch));
    }

    [Fact]
    public void ResumeOnOtherDataIsRefusedSayingWhatDiffers()
    {
        string killed = TestPaths.NewTempDir();
        Assert.Throws<OperationCanceledException>(() => Train(Opts(killed) with { CheckpointEveryBatches = 1 }, cancelAfterBatch: 2));
        string checkpoint = Path.Combine(killed, QuantizationAwareTrainer.CheckpointFileName);
        byte[] before = File.ReadAllBytes(checkpoint);

        // same name, sizes and shapes, other examples: only the content fingerprint tells them apart
        var e = Assert.Throws<ArgumentException>(() => Train(Opts(killed, resume: true) with { CheckpointEveryBatches = 1 }, dataSeed: 2));
        Assert.StartsWith($"{checkpoint}: the checkpoint was trained on other data: data.content = sha256:", e.Message);
        Assert.Contains("(dataset 'synthetic blobs' then, 'synthetic blobs' now)", e.Message);
        Assert.Contains("--dataset and --data-dir", e.Message);
        string[] fingerprints = System.Text.RegularExpressions.Regex.Matches(e.Message, "sha256:[0-9a-f]{16}").Select(m => m.Value).ToArray();
        Assert.Equal(2, fingerprints.Length);
        Assert.NotEqual(fingerprints[0], fingerprints[1]);

        // another split size is named as such
        e = Assert.Throws<ArgumentException>(() => Train(Opts(killed, resume: true), trainExamples: 448));
        Assert.Contains("data.content", e.Message); // sorted before data.train, and different too
        using (var a = TrainingFixtures.Blobs(train: 512)) using (var b = TrainingFixtures.Blobs(train: 448))
        {
            var ex = Assert.Throws<ArgumentException>(() => RunSettings.Compare("c", a.Identity().Where(kv => kv.Key != "data.content").ToDictionary(),
                b.Identity().Where(kv => kv.Key != "data.content").ToDictionary()));
            Assert.Contains("data.train = 512 then, data.train = 448 now", ex.Message);
        }
        Assert.Equal(before, File.ReadAllBytes(checkpoint)); // nothing was overwritten

        // the same data resumes, and a fresh load gives the same fingerprint
        Train(Opts(killed, resume: true) with { CheckpointEveryBatches = 1 });
        using (var a = TrainingFixtures.Blobs()) using (var b = TrainingFixtures.Blobs())
            Assert.Equal(a.Identity(), b.Identity());
    }

    [Fact]
    public void ResumingAFinishedRunWithMoreEpochsTrainsOnAsAnUninterruptedRun()
    {
        string dir = TrainedDir(); // 1 epoch, finished
        var extended = Train(Opts(dir, resume: true) with { Epochs = 3 });
        Assert.Equal(new[] { 0, 1, 2, 3 }, extended.History.Select(r => r.Epoch));

        var straight = Train(Opts(TestPaths.NewTempDir()) with { Epochs = 3 });
        Assert.Equal(straight.History.Select(r => (r.Epoch, r.TrainLoss, r.TestAccuracy, r.QuantizedSparsity)),
            extended.History.Select(r => (r.Epoch, r.TrainLoss, r.TestAccuracy, r.QuantizedSparsity)));

        // resuming it again with as many epochs trains nothing
        var again = Train(Opts(dir, resume: true) with { Epochs = 3 });
        Assert.Equal(4, again.History.Count);
    }

    [Fact]
    public void AFinishedFullPrecisionRunResumedWithMoreEpochsTrainsOnToo()
    {
        static TrainingResult TrainFp(TrainerOptions options)
        {
            using var data = TrainingFixtures.Blobs(batchSize: options.BatchSize, shuffleSeed: options.Seed);
            using var trainer = new QuantizationAwareTrainer(TrainingFixtures.Mlp(3), data, options);
            return trainer.Run();
        }
        string dir = TestPaths.NewTempDir();
        TrainFp(Opts(dir));
        var extended = TrainFp(Opts(dir, resume: true) with { Epochs = 2 });
        var straight = TrainFp(Opts(TestPaths.NewTempDir()) with { Epochs = 2 });
        Assert.Equal(new[] { 1, 2 }, extended.History.Select(r => r.Epoch));
        Assert.Equal(straight.History.Select(r => (r.Phase, r.Epoch, r.TrainLoss, r.TestAccuracy)),
            extended.History.Select(r => (r.Phase, r.Epoch, r.TrainLoss, r.TestAccuracy)));
    }

    [Fact]
    public void AFlippedBitInATensorOrTheStateIsRefused()
    {
        string dir = TrainedDir();
        string checkpoint = Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName);
        byte[] good = File.ReadAllBytes(checkpoint);

        var tensorFlip = (byte[])good.Clone();
        tensorFlip[^3] ^= 0x01; // inside the last tensor's data
        File.WriteAllBytes(checkpoint, tensorFlip);
        var e = Assert.Throws<InvalidDataException>(() => Train(Opts(dir, resume: true)));
        Assert.Contains($"{checkpoint}: checkpoint is damaged", e.Message);

        var stateFlip = (byte[])good.Clone();
        byte[] field = Encoding.UTF8.GetBytes("badEpochs\\u0022:0"); // the state JSON, as escaped inside the header
        int at = stateFlip.AsSpan().IndexOf(field);
        Assert.True(at > 0, "the state JSON should hold badEpochs");
        stateFlip[at + field.Length - 1] = (byte)'1';
        File.WriteAllBytes(checkpoint, stateFlip);
        e = Assert.Throws<InvalidDataException>(() => Train(Opts(dir, resume: true)));
        Assert.Contains("checkpoint is damaged", e.Message);

        File.WriteAllBytes(checkpoint, good);
        Train(Opts(dir, resume: true)); // the undamaged file still resumes
    }

    [Fact]
    public void StaleCheckpointTemporariesOfAKilledRunAreRemoved()
    {
        string dir = TestPaths.NewTempDir();
        string stale = Path.Combine(dir, $".{QuantizationAwareTrainer.CheckpointFileName}.2147483000.{Guid.NewGuid():N}.tmp");
        string staleMetrics = Path.Combine(dir, $".metrics.csv.2147483000.{Guid.NewGuid():N}.tmp");
        string foreign = Path.Combine(dir, ".notes.tmp");
        foreach (var f in new[] { stale, staleMetrics, foreign }) File.WriteAllBytes(f, new byte[1000]);
        Train(Opts(dir));
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleMetrics));
        Assert.True(File.Exists(foreign));
    }

    /// <summary>
    /// Seeded random corruption of a real checkpoint (bit flips, truncation, overwritten runs, trailing bytes): a
    /// resume either refuses it with an <see cref="InvalidDataException"/> naming the file, or (for a change that
    /// leaves the decoded content intact, such as header padding) resumes; nothing else escapes.
    /// </summary>
    [Fact]
    public void HundredsOfCorruptedCheckpointsAreRefusedCleanly()
    {
        string source = TrainedDir();
        byte[] good = File.ReadAllBytes(Path.Combine(source, QuantizationAwareTrainer.CheckpointFileName));
        var random = new Random(1717);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int rejected = 0, trials = 150;
        string dir = TestPaths.NewTempDir();
        string checkpoint = Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName);
        for (int trial = 0; trial < trials; trial++)
        {
            var kind = SeededCorruption.InTurn(trial);
            byte[] bytes = SeededCorruption.Apply(good, kind, random, maxRun: kind == Corruption.AppendGarbage ? 63 : 15);
            File.WriteAllBytes(checkpoint, bytes);
            try
            {
                Train(Opts(dir, resume: true));
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(checkpoint, e.Message);
                rejected++;
            }
        }
        Assert.True(rejected > trials * 9 / 10, $"only {rejected} of {trials} corrupted checkpoints were refused");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(3), "corruption trials took too long (hang?)");
    }
}
