using System.Globalization;
using ECQx.Data;
using ECQx.IO;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

/// <summary>
/// One case of <c>shared/oracle/train-steps/</c> (beside the repository clone, as in CI): the reference implementation's
/// quantization-aware training of the pretrained ResNet20, step by step (docs/parity.md says how a case is made).
/// <c>batches-x.npy</c>/<c>batches-y.npy</c> are the batches in order; <c>steps.safetensors</c> holds
/// <c>step{i}/{name}</c> (the quantized weights after batch i; step 0 the initial one-shot ECQ) and, for ECQx,
/// <c>relevance{i}/{name}</c> (the running signed relevance batch i's assignment used); its metadata the setting.
/// </summary>
internal sealed class ReferenceTrainingCase : IDisposable
{
    /// <summary>Torch threads of the runs: CPU results are bit-identical only at one thread count (the reference used 2).</summary>
    public const int Threads = 2;

    private readonly SafeTensorsDocument _steps;

    private ReferenceTrainingCase(string directory)
    {
        Directory = directory;
        TorchRuntime.EnsureLoaded();
        _steps = SafeTensors.Load(Path.Combine(directory, "steps.safetensors"));
        var meta = _steps.Metadata;
        Bits = int.Parse(Require(meta, "bits"), CultureInfo.InvariantCulture);
        Lambda = double.Parse(Require(meta, "lambda"), CultureInfo.InvariantCulture);
        Steps = int.Parse(Require(meta, "steps"), CultureInfo.InvariantCulture);
        BatchSize = int.Parse(Require(meta, "batch"), CultureInfo.InvariantCulture);
        Alpha = double.Parse(Require(meta, "alpha"), CultureInfo.InvariantCulture);
        P = meta.TryGetValue("p", out var p) ? double.Parse(p, CultureInfo.InvariantCulture) : EcqxOptions.Default.P;
        UsesLrp = Require(meta, "lrp") is "1" or "true" or "True";
        Names = _steps.Tensors.Keys.Where(k => k.StartsWith("step0/", StringComparison.Ordinal)).Select(k => k["step0/".Length..]).ToList();
        Inputs = Npy.Read(Path.Combine(directory, "batches-x.npy"));
        Labels = Npy.Read(Path.Combine(directory, "batches-y.npy"));
        if (Inputs.shape[0] != (long)Steps * BatchSize || Labels.shape[0] != Inputs.shape[0])
            throw new InvalidDataException($"{directory}: {Inputs.shape[0]} inputs and {Labels.shape[0]} labels for {Steps} steps of {BatchSize}");
    }

    /// <summary><c>shared/oracle/train-steps</c> beside the repository root, or null when absent.</summary>
    public static string? OracleRoot
    {
        get
        {
            string dir = Path.GetFullPath(Path.Combine(TestPaths.RepoRoot(), "..", "shared", "oracle", "train-steps"));
            return System.IO.Directory.Exists(dir) ? dir : null;
        }
    }

    /// <summary>Opens case <paramref name="name"/> of <see cref="OracleRoot"/>.</summary>
    public static ReferenceTrainingCase Open(string name) =>
        new(Path.Combine(OracleRoot ?? throw new DirectoryNotFoundException("shared/oracle/train-steps is not beside the repository"), name));

    public string Directory { get; }
    public int Bits { get; }
    public double Lambda { get; }
    public int Steps { get; }
    public int BatchSize { get; }
    public double Alpha { get; }
    public double P { get; }
    public bool UsesLrp { get; }
    /// <summary>The quantized tensors, in the reference's order.</summary>
    public IReadOnlyList<string> Names { get; }
    public Tensor Inputs { get; }
    public Tensor Labels { get; }

    /// <summary>The reference's quantized <paramref name="name"/> after batch <paramref name="step"/> (0: the one-shot ECQ).</summary>
    public Tensor Weights(int step, string name) => _steps.Tensors[$"step{step}/{name}"];

    /// <summary>The running signed relevance the reference's ECQx assignment of batch <paramref name="step"/> used.</summary>
    public Tensor Relevance(int step, string name) => _steps.Tensors[$"relevance{step}/{name}"];

    /// <summary>
    /// Our trainer on the case: the pretrained ResNet20, the batches in order, Adam lr 1e-3, ECQ at the case's bits and Λ
    /// with <paramref name="relevance"/> (null: plain ECQ). Returns the quantized weights after the one-shot ECQ and
    /// after every batch (copies, on the CPU).
    /// </summary>
    public List<Dictionary<string, Tensor>> Train(IWeightRelevanceMethod? relevance, double relevanceAlpha)
    {
        var model = ModelZoo.Create("resnet20");
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        var batching = new BatchOptions { BatchSize = BatchSize, Shuffle = false };
        using var data = new DatasetSplits("reference-batches",
            new InMemoryBatchSource(Inputs, Labels, 10, batching), new InMemoryBatchSource(Inputs, Labels, 10, batching));
        var options = new TrainerOptions
        {
            Epochs = 1, BatchSize = BatchSize, Seed = (long)batching.Seed, Threads = Threads, RelevanceAlpha = relevanceAlpha,
            Patience = 0, LearningRate = 1e-3,
        };
        using var quantizer = new EcqWeightQuantizer(new EcqQuantizerSettings
        {
            Bits = Bits, Ecq = EcqOptions.Default with { Lambda = Lambda }, Ecqx = EcqxOptions.Default with { P = P },
        });
        using var trainer = new QuantizationAwareTrainer(model, data, options, quantizer, relevance);
        var steps = new List<Dictionary<string, Tensor>>();
        void Snapshot() => steps.Add(trainer.QuantizedNames.ToDictionary(n => n,
            n => model.named_parameters().First(p => p.name == n).parameter.detach().cpu().clone()));
        trainer.EpochCompleted += (_, row) => { if (row.Phase == TrainingPhase.Initial) Snapshot(); };
        trainer.BatchCompleted += (_, _) => Snapshot();
        trainer.Run();
        model.Dispose();
        return steps;
    }

    /// <summary>Fraction of weights (over all quantized tensors) equal to the reference's after <paramref name="step"/>.</summary>
    public double IdenticalFraction(int step, IReadOnlyDictionary<string, Tensor> ours)
    {
        long same = 0, total = 0;
        foreach (var n in Names)
        {
            same += ours[n].eq(Weights(step, n)).sum().item<long>();
            total += ours[n].numel();
        }
        return (double)same / total;
    }

    /// <summary>The largest per-tensor difference of the zero fraction, in percentage points, after <paramref name="step"/>.</summary>
    public double WorstSparsityGapPoints(int step, IReadOnlyDictionary<string, Tensor> ours) =>
        Names.Max(n => 100.0 * Math.Abs(ours[n].eq(0).sum().item<long>() - Weights(step, n).eq(0).sum().item<long>()) / ours[n].numel());

    public void Dispose()
    {
        _steps.Dispose();
        Inputs.Dispose();
        Labels.Dispose();
    }

    private string Require(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{Directory}/steps.safetensors: metadata '{key}' missing");
}

/// <summary>
/// The reference's running relevance of each step, replayed: the i-th call attributes <c>relevance{i}</c> of the case
/// (run with α = 0 so the trainer's running average is exactly it). Splits the step into its relevance and the rest.
/// </summary>
internal sealed class ReplayedReferenceRelevance(ReferenceTrainingCase reference) : IWeightRelevanceMethod
{
    private int _calls;

    public string Name => "reference-relevance";

    /// <summary>The model's state dict (CPU copies) at each call: what the relevance of that step sees (§b.8).</summary>
    public List<Dictionary<string, Tensor>> StatesSeen { get; } = new();

    /// <summary>Whether the model was in training mode at each call (the trainer restores it afterwards).</summary>
    public List<bool> TrainingModeSeen { get; } = new();

    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        int step = ++_calls;
        StatesSeen.Add(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().DetachFromDisposeScope()));
        TrainingModeSeen.Add(model.training);
        return WeightRelevance.Build(Name, model, reference.Names.ToDictionary(n => n, n => reference.Relevance(step, n)), null);
    }
}
