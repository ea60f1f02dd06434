using ECQx.Data;
using ECQx.Data.Download;
using ECQx.Data.Speech;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// <c>gsc</c>: the paper's Google Speech Commands experiment: 12 classes (10 keywords, silence, unknown), 49×10 MFCC
/// inputs, the MLP_GSC network trained here in full precision, then ECQ and ECQx over bit widths and Λ.
/// </summary>
public sealed class SpeechCommandsExperiment : ExperimentDefinition
{
    /// <summary>The dataset store entry used when no <c>--data-dir</c> is given.</summary>
    public const string DatasetName = "speech_commands_v0.02";

    /// <inheritdoc />
    public override string Name => "gsc";
    /// <inheritdoc />
    public override string Title => "ECQ vs ECQx on Google Speech Commands (MLP_GSC)";
    /// <inheritdoc />
    public override string Description =>
        "Google Speech Commands v0.02, 12-class keyword task (10 keywords, silence, unknown) on 49×10 MFCC features, with the MLP_GSC " +
        "network (490→512→512→256→12, BN+ReLU) trained here in full precision, then ECQ and ECQx quantization-aware training at each bit " +
        "width and Λ (§a.4, §c.3). The paper's exact MLP_GSC widths and training schedule were not available (spec §e); these are the " +
        "package's choices.";
    /// <inheritdoc />
    public override IReadOnlyList<string> SupportedModels => new[] { "mlp_gsc", "cnn_kws" };

    /// <inheritdoc />
    public override ExperimentDefaults Defaults(bool quick) => quick
        ? new(new[] { "mlp_gsc" }, new[] { 2, 4 }, new[] { 0.05 }, Epochs: 1, BaselineEpochs: 1, MaxBatchesPerEpoch: 6, BaselineMaxBatchesPerEpoch: 6, BatchSize: 32)
        : new(new[] { "mlp_gsc" }, new[] { 2, 3, 4, 5 }, new[] { 0.0, 0.02, 0.05, 0.1, 0.2 }, Epochs: 10, BaselineEpochs: 20, MaxBatchesPerEpoch: null, BaselineMaxBatchesPerEpoch: null, BatchSize: 100);

    /// <inheritdoc />
    public override ExperimentData LoadData(ExperimentSettings settings, int batchSize, torch.Device device, Action<string>? log)
    {
        var opts = new SpeechCommandsOptions { BatchSize = batchSize, Seed = unchecked((ulong)settings.Seed), Device = device };
        string? dir = settings.DataDirectory;
        if (dir is null && settings.Quick)
        {
            log?.Invoke("quick mode without --data-dir: using SYNTHETIC stand-in data (Gaussian blobs shaped like 49×10 MFCC maps, 12 classes)");
            return new ExperimentData(SyntheticBlobs.Create(settings.Seed, trainCount: 512, testCount: 256, features: 490, classes: 12,
                separation: 0.3, sampleShape: new long[] { 490 }, batch: new BatchOptions { BatchSize = batchSize, Seed = opts.Seed, Device = device }), 12,
                "SYNTHETIC stand-in (quick mode, no --data-dir): 512 train / 256 test Gaussian blobs shaped like 49×10 MFCC maps, 12 classes — not Speech Commands", true);
        }
        if (dir is null)
        {
            var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = settings.DataStoreDirectory, Offline = settings.Offline });
            log?.Invoke($"Speech Commands: using the dataset store at {store.Root} (downloads on first use, ~2.3 GB)");
            dir = store.Ensure(DatasetName);
        }
        log?.Invoke($"loading Speech Commands from {dir} (MFCC features are cached after the first epoch)");
        var splits = SpeechCommands.Load(dir, opts);
        return new ExperimentData(splits, splits.Train.NumClasses,
            $"Google Speech Commands in {Path.GetFullPath(dir)} ({splits.Train.Count} train / {splits.Test.Count} test clips, {splits.Train.NumClasses} classes, 49×10 MFCC)", false);
    }
}
