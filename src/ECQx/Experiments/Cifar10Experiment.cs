using ECQx.Data;
using ECQx.Data.Cifar;
using ECQx.Data.Download;
using ECQx.Data.StandIn;
using ECQx.Data.Synthesis;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// <c>cifar10</c>: ResNet20 (from the bundled pretrained weights) and VGG16 (trained here) on CIFAR-10, ECQ and ECQx
/// over bit widths and Λ (the reference repository's example, §c.1, and the paper's VGG16 experiment).
/// </summary>
public sealed class Cifar10Experiment : ExperimentDefinition
{
    /// <inheritdoc />
    public override string Name => "cifar10";
    /// <inheritdoc />
    public override string Title => "ECQ vs ECQx on CIFAR-10 (ResNet20, VGG16)";
    /// <inheritdoc />
    public override string Description =>
        "CIFAR-10 (50,000 train / 10,000 test images, flip + crop augmentation, §c.1). ResNet20 starts from the bundled pretrained weights " +
        "(data/pretrained/resnet20-cifar10.safetensors); VGG16 (with batch norm) is trained here in full precision first. Both are then " +
        "quantized by ECQ and ECQx (LRP, epsilon_plus_flat_bn_pass, §b.2) at each bit width and Λ, with Adam lr 1e-3 and batch 64 (§c.2–c.4).";
    /// <inheritdoc />
    public override IReadOnlyList<string> SupportedModels => new[] { "resnet20", "vgg16", "vgg16_2fc" };

    /// <inheritdoc />
    public override ExperimentDefaults Defaults(bool quick) => quick
        ? new(new[] { "resnet20", "vgg16" }, new[] { 2, 4 }, new[] { 0.05 }, Epochs: 1, BaselineEpochs: 1, MaxBatchesPerEpoch: 2, BaselineMaxBatchesPerEpoch: 2, BatchSize: 16)
        : new(new[] { "resnet20", "vgg16" }, new[] { 2, 3, 4, 5 }, new[] { 0.0, 0.02, 0.05, 0.1, 0.2, 0.4 }, Epochs: 10, BaselineEpochs: 30, MaxBatchesPerEpoch: null, BaselineMaxBatchesPerEpoch: null, BatchSize: 64);

    /// <inheritdoc />
    public override string? PretrainedWeights(string model) =>
        model == "resnet20"
            ? BundledFiles.Require(BundledFiles.PretrainedResNet20, "The bundled pretrained ResNet20")
            : null;

    /// <inheritdoc />
    public override ExperimentData LoadData(ExperimentSettings settings, int batchSize, torch.Device device, Action<string>? log)
    {
        var opts = new Cifar10Options { BatchSize = batchSize, Seed = unchecked((ulong)settings.Seed), Device = device };
        string? dir = settings.DataDirectory;
        if (dir is null && settings.Quick)
        {
            dir = BundledFiles.Require(BundledFiles.SynthesizedCifar10, "The bundled CIFAR-10 set synthesized from the pretrained ResNet20");
            log?.Invoke("quick mode without --data-dir: using the bundled SYNTHESIZED images (from the pretrained ResNet20 by batch-norm statistics " +
                        "inversion; labels are its predictions, so accuracy is top-1 agreement with the FP ResNet20)");
        }
        if (dir is null)
        {
            var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = settings.DataStoreDirectory, Offline = settings.Offline });
            log?.Invoke($"CIFAR-10: using the dataset store at {store.Root} (downloads on first use, ~160 MB)");
            dir = store.Ensure("cifar10");
        }
        var splits = Cifar10.Load(dir, opts);
        string counts = $"({splits.Train.Count} train / {splits.Test.Count} test images)";
        string description = SynthesizedCifar10.IsSynthesized(dir)
            ? $"SYNTHESIZED from the pretrained ResNet20 (batch-norm statistics inversion, ECQx.Data.Synthesis), not CIFAR-10: labels are the FP ResNet20's " +
              $"top-1 predictions, so accuracy is top-1 agreement with it; {Path.GetFullPath(dir)} {counts}"
            : StandInData.IsStandIn(dir)
                ? $"SYNTHETIC stand-in (coloured blobs on stripes, ECQx.Data.StandIn), not CIFAR-10: binary batches in {Path.GetFullPath(dir)} {counts}"
                : $"CIFAR-10 binary batches in {Path.GetFullPath(dir)} {counts}";
        return new ExperimentData(splits, 10, description, StandInData.IsStandIn(dir));
    }
}
