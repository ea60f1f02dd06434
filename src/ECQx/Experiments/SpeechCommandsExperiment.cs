using ECQx.Data;
using ECQx.Data.Download;
using ECQx.Data.Speech;
using ECQx.Data.Speech.Synthesis;
using ECQx.Data.StandIn;
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
        ? new(new[] { "mlp_gsc" }, new[] { 4 }, new[] { 0.1, 0.4 }, Epochs: 2, BaselineEpochs: 10, MaxBatchesPerEpoch: 40, BaselineMaxBatchesPerEpoch: null, BatchSize: 32)
        : new(new[] { "mlp_gsc" }, new[] { 2, 3, 4, 5 }, new[] { 0.0, 0.02, 0.05, 0.1, 0.2, 0.4 }, Epochs: 10, BaselineEpochs: 20, MaxBatchesPerEpoch: null, BaselineMaxBatchesPerEpoch: null, BatchSize: 100);

    /// <inheritdoc />
    public override ExperimentData LoadData(ExperimentSettings settings, int batchSize, torch.Device device, Action<string>? log)
    {
        // Quick mode trains on the clips' MFCCs as they are (computed once and cached) instead of re-augmenting every epoch:
        // a synthesized corpus already varies speed, level, offset and noise per clip, and epochs become cheap.
        var opts = new SpeechCommandsOptions
        {
            BatchSize = batchSize, Seed = unchecked((ulong)settings.Seed), Device = device, TrainAugmentation = settings.Quick ? null : new SpeechAugmentation(),
        };
        string? dir = settings.DataDirectory;
        if (dir is null && settings.Quick)
        {
            dir = SynthesizedSpeechCommands.DefaultDirectory(settings.DataStoreDirectory);
            if (!SynthesizedSpeechCommands.IsSynthesized(dir))
                log?.Invoke($"quick mode without --data-dir: synthesizing a spoken-word corpus with espeak-ng into {dir} (once; `ecqx data synthesize speech-commands`)");
            dir = SynthesizedSpeechCommands.Write(dir);
        }
        if (dir is null)
        {
            var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = settings.DataStoreDirectory, Offline = settings.Offline });
            log?.Invoke($"Speech Commands: using the dataset store at {store.Root} (downloads on first use, ~2.3 GB)");
            dir = store.Ensure(DatasetName);
        }
        log?.Invoke($"loading Speech Commands from {dir} (MFCC features are cached after the first epoch)");
        var splits = SpeechCommands.Load(dir, opts);
        bool synthesized = SynthesizedSpeechCommands.IsSynthesized(dir), standIn = StandInData.IsStandIn(dir);
        string source = synthesized ? "SYNTHESIZED speech (espeak-ng voices, `ecqx data synthesize speech-commands`), not Google Speech Commands recordings: "
            : standIn ? "SYNTHETIC stand-in (tone pairs per word, ECQx.Data.StandIn), not Speech Commands: " : "Google Speech Commands ";
        return new ExperimentData(splits, splits.Train.NumClasses,
            source + $"in {Path.GetFullPath(dir)} ({splits.Train.Count} train / {splits.Test.Count} test clips, {splits.Train.NumClasses} classes, 49×10 MFCC)",
            synthesized || standIn);
    }
}
