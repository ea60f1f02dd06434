using System.Text.Json;
using ECQx.Data;
using ECQx.Data.Cifar;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

/// <summary>The outcome of one epoch run: held-out accuracy (fraction) before and after the epoch, per-layer zero fraction after it.</summary>
/// <param name="Seed">The seed that fixed the batch order.</param>
/// <param name="InitialAccuracy">Held-out accuracy after the one-shot ECQ, before training (fraction).</param>
/// <param name="Accuracy">Held-out accuracy after the epoch (fraction).</param>
/// <param name="Sparsity">Zero fraction of every quantized tensor after the epoch, in the reference's order.</param>
internal sealed record EpochRunResult(int Seed, double InitialAccuracy, double Accuracy, IReadOnlyDictionary<string, double> Sparsity);

/// <summary>
/// One epoch end to end against the reference implementation (docs/parity.md, "One epoch end to end"): a JSON file
/// written by <c>tools/parity/reference_epoch.py</c> (stored under <c>assets/reference-epoch/</c>) holds the setting and,
/// per seed, the batch order and the reference's results; <see cref="TrainOurs"/> runs our trainer on the same batches.
/// Training images: the 1,024 of the bundled synthesized CIFAR-10's <c>test_batch.bin</c> in the run's order; held out:
/// its 512 <c>data_batch_*.bin</c> images; no augmentation; the reference's normalisation.
/// </summary>
internal sealed class ReferenceEpoch
{
    /// <summary>Torch threads of the runs (the reference's runs used 2).</summary>
    public const int Threads = 2;

    private ReferenceEpoch(string path, JsonElement root)
    {
        Path = path;
        Mode = Text(root, "mode");
        if (Mode is not ("ecq" or "ecqx")) throw new InvalidDataException($"{path}: mode '{Mode}' is neither 'ecq' nor 'ecqx'");
        Bits = Number(root, "bits") is var b && b == Math.Floor(b) && b is >= 1 and <= 8 ? (int)b : throw new InvalidDataException($"{path}: bits {b} is not an integer in 1–8");
        Lambda = Number(root, "lambda");
        Alpha = Number(root, "alpha");
        P = Number(root, "p");
        BatchSize = (int)Number(root, "batch");
        LearningRate = Number(root, "learning_rate");
        var runs = new List<(EpochRunResult, long[])>();
        foreach (var run in Field(root, "runs").EnumerateArray())
        {
            int seed = (int)Number(run, "seed");
            var sparsity = Field(run, "sparsity").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            var order = Field(run, "order").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            runs.Add((new EpochRunResult(seed, Number(run, "initial_accuracy"), Number(run, "accuracy"), sparsity), order));
        }
        if (runs.Count == 0) throw new InvalidDataException($"{path}: no runs");
        References = runs.Select(r => r.Item1).ToList();
        _orders = runs.ToDictionary(r => r.Item1.Seed, r => r.Item2);
    }

    private readonly Dictionary<int, long[]> _orders;

    /// <summary>The file read.</summary>
    public string Path { get; }
    /// <summary><c>ecq</c> (no relevance) or <c>ecqx</c> (LRP <c>epsilon_plus_flat_bn_pass</c>, canonizer <c>resnet</c>, weight rule ε).</summary>
    public string Mode { get; }
    public int Bits { get; }
    public double Lambda { get; }
    /// <summary>History weight of the relevance running average.</summary>
    public double Alpha { get; }
    public double P { get; }
    public int BatchSize { get; }
    public double LearningRate { get; }
    /// <summary>The reference's runs, one per seed.</summary>
    public IReadOnlyList<EpochRunResult> References { get; }
    /// <summary>Weights per quantized tensor, known after the first <see cref="TrainOurs"/>.</summary>
    public IReadOnlyDictionary<string, long> LayerSizes { get; private set; } = new Dictionary<string, long>();
    /// <summary>Images of the held-out set (<c>data_batch_1..5.bin</c> of the bundled set).</summary>
    public const int HeldOutImages = 512;

    /// <summary>
    /// Writes <paramref name="ours"/> in the reference file's format (setting, and per run the seed, its batch order and the
    /// results), atomically, so that the same tools read both.
    /// </summary>
    public void WriteOurs(string path, IEnumerable<EpochRunResult> ours)
    {
        var doc = new Dictionary<string, object?>
        {
            ["content"] = "one epoch of ECQx.Research's trainer on the reference's batches (ReferenceEpoch, docs/parity.md)",
            ["threads"] = Threads, ["mode"] = Mode, ["bits"] = Bits, ["lambda"] = Lambda, ["alpha"] = Alpha, ["p"] = P,
            ["batch"] = BatchSize, ["learning_rate"] = LearningRate,
            ["runs"] = ours.Select(r => new Dictionary<string, object>
            {
                ["seed"] = r.Seed, ["initial_accuracy"] = r.InitialAccuracy, ["accuracy"] = r.Accuracy, ["sparsity"] = r.Sparsity,
                ["order"] = _orders[r.Seed],
            }).ToList(),
        };
        ECQx.IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a file written by <c>tools/parity/reference_epoch.py</c>; a missing field is named in the error.</summary>
    public static ReferenceEpoch Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return new ReferenceEpoch(path, doc.RootElement.Clone());
    }

    /// <summary>
    /// Our trainer for one epoch on the reference's batches of <paramref name="seed"/>: the pretrained ResNet20, Adam at the
    /// stored learning rate over cloned FP copies, ECQ at the stored bits/Λ/p, for <c>ecqx</c> our LRP in the reference's
    /// setting with the stored α; held-out accuracy after the one-shot ECQ and after the epoch, per-layer sparsity.
    /// </summary>
    public EpochRunResult TrainOurs(int seed)
    {
        if (!_orders.TryGetValue(seed, out var order)) throw new ArgumentException($"{Path}: no run with seed {seed}");
        using var scope = NewDisposeScope();
        string bins = System.IO.Path.Combine(BundledFiles.Require(BundledFiles.SynthesizedCifar10, "The bundled synthesized CIFAR-10"), "cifar-10-batches-bin");
        var (trainPixels, trainLabels) = Cifar10Binary.ReadFiles([System.IO.Path.Combine(bins, Cifar10Binary.TestFile)]);
        var (testPixels, testLabels) = Cifar10Binary.ReadFiles(Cifar10Binary.TrainFiles.Select(f => System.IO.Path.Combine(bins, f)));
        if (testLabels.shape[0] != HeldOutImages)
            throw new InvalidDataException($"{bins}: {testLabels.shape[0]} held-out images in data_batch_*.bin, expected {HeldOutImages}");
        if (order.Length != trainLabels.shape[0])
            throw new InvalidDataException($"{Path}: seed {seed} orders {order.Length} images, {Cifar10Binary.TestFile} has {trainLabels.shape[0]}");
        var index = tensor(order);
        if (!index.sort().Values.eq(arange(order.Length, dtype: int64)).all().item<bool>())
            throw new InvalidDataException($"{Path}: the order of seed {seed} is not a permutation of 0–{order.Length - 1}");
        var trainInputs = ImageNormalization.Cifar10.Apply(trainPixels.to(float32)).index_select(0, index);
        var ordered = trainLabels.index_select(0, index);
        var testInputs = ImageNormalization.Cifar10.Apply(testPixels.to(float32));

        var model = ModelZoo.Create("resnet20");
        StateDictLoader.LoadSafeTensors(model, BundledFiles.Require(BundledFiles.PretrainedResNet20, "The bundled pretrained ResNet20"));
        var batching = new BatchOptions { BatchSize = BatchSize, Shuffle = false };
        using var data = new DatasetSplits("reference-epoch",
            new InMemoryBatchSource(trainInputs, ordered, 10, batching), new InMemoryBatchSource(testInputs, testLabels, 10, batching with { BatchSize = 256 }));
        var options = new TrainerOptions
        {
            Epochs = 1, BatchSize = BatchSize, Seed = (long)batching.Seed, Threads = Threads, RelevanceAlpha = Alpha,
            Patience = 0, LearningRate = LearningRate,
        };
        using var quantizer = new EcqWeightQuantizer(new EcqQuantizerSettings
        {
            Bits = Bits, Ecq = EcqOptions.Default with { Lambda = Lambda }, Ecqx = EcqxOptions.Default with { P = P },
        });
        var relevance = Mode == "ecqx"
            ? RelevanceMethods.Create("lrp:epsilon_plus_flat_bn_pass", new RelevanceOptions { WeightRule = "epsilon", Canonizer = "resnet" })
            : null;
        using var trainer = new QuantizationAwareTrainer(model, data, options, quantizer, relevance);
        var result = trainer.Run();
        var initial = result.History.Single(r => r.Phase == TrainingPhase.Initial);
        var last = result.History[^1];
        var sparsity = last.Layers.ToDictionary(l => l.Name, l => l.Sparsity);
        LayerSizes = last.Layers.ToDictionary(l => l.Name, l => l.Count);
        model.Dispose();
        return new EpochRunResult(seed, initial.TestAccuracy / 100, last.TestAccuracy / 100, sparsity);
    }

    private JsonElement Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v : throw new InvalidDataException($"{Path}: field '{name}' missing");

    private double Number(JsonElement e, string name) =>
        Field(e, name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : throw new InvalidDataException($"{Path}: field '{name}' is not a number");

    private string Text(JsonElement e, string name) =>
        Field(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw new InvalidDataException($"{Path}: field '{name}' is not a string");
}
