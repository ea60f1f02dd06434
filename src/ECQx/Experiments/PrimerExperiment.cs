using ECQx.Data.Idx;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// <c>primer</c>: the offline experiment on the bundled Fashion-MNIST sample (10,000 train / 2,000 test images):
/// train a LeNet-300-100 MLP baseline, then ECQ and ECQx at 2–5 bit over Λ up to 0.4 (where ECQ collapses to chance and ECQx does not), every
/// result coded to an .ecqx file.
/// </summary>
public sealed class PrimerExperiment : ExperimentDefinition
{
    /// <inheritdoc />
    public override string Name => "primer";
    /// <inheritdoc />
    public override string Title => "ECQ vs ECQx on Fashion-MNIST (bundled sample)";
    /// <inheritdoc />
    public override string Description =>
        "The offline primer: a LeNet-300-100 MLP (784→300→100→10) is trained in full precision on the bundled Fashion-MNIST sample, " +
        "then quantized by ECQ (entropy-constrained assignment, §a.4) and ECQx (the same with the zero-cluster cost scaled by LRP relevance, " +
        "§a.4 step 10) with quantization-aware training (§c.3) at each bit width and Λ. Every quantized model is entropy-coded into an .ecqx " +
        "file; its size gives the ×-factor against the float32 model, and the accuracy is measured on the model decoded from that file.";
    /// <inheritdoc />
    public override IReadOnlyList<string> SupportedModels => new[] { "mlp_28x28", "lenet5" };

    /// <inheritdoc />
    public override ExperimentDefaults Defaults(bool quick) => quick
        // Quick: 2 bit at Λ = 0.2, 0.4 and 0.5 with the full mode's training lengths (3 baseline epochs, 2 quantization-aware
        // epochs), so that ECQ's collapse at Λ = 0.4 appears in a quick run as it does in the full one. Λ = 0.5 extends ECQ's
        // accuracy–sparsity curve past ECQx's sparsity at Λ = 0.4, so every seed has a matched-sparsity comparison there. With one
        // epoch each (the earlier quick setting) ECQ at Λ = 0.4 collapsed in some seeds and not in others.
        ? new(new[] { "mlp_28x28" }, new[] { 2 }, new[] { 0.2, 0.4, 0.5 }, Epochs: 2, BaselineEpochs: 3, MaxBatchesPerEpoch: null, BaselineMaxBatchesPerEpoch: null, BatchSize: 64)
        : new(new[] { "mlp_28x28" }, new[] { 2, 3, 4, 5 }, new[] { 0.05, 0.1, 0.2, 0.4 }, Epochs: 2, BaselineEpochs: 3, MaxBatchesPerEpoch: null, BaselineMaxBatchesPerEpoch: null, BatchSize: 64);

    /// <inheritdoc />
    public override ExperimentData LoadData(ExperimentSettings settings, int batchSize, torch.Device device, Action<string>? log)
    {
        var opts = new IdxImageOptions { BatchSize = batchSize, Seed = unchecked((ulong)settings.Seed), Device = device };
        if (settings.DataDirectory is string dir)
            return new ExperimentData(FashionMnist.Load(dir, opts), 10, $"Fashion-MNIST IDX files in {Path.GetFullPath(dir)}", false);
        var splits = FashionMnist.LoadBundledSample(opts);
        return new ExperimentData(splits, 10,
            $"Fashion-MNIST bundled sample ({splits.Train.Count} train / {splits.Test.Count} test images, {BundledFiles.FashionMnistSample})", false);
    }
}
