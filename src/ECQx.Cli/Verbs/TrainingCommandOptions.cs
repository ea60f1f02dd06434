using ECQx.Data;
using System.CommandLine;
using ECQx.Data.Cifar;
using ECQx.Data.Idx;
using ECQx.IO;
using ECQx.Models;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;

namespace ECQx.Cli.Verbs;

/// <summary>The options <c>ecqx train</c> and <c>ecqx quantize</c> share, and the loading of model, weights and data.</summary>
internal sealed class TrainingCommandOptions
{
    public readonly Option<string> Dataset = new("--dataset") { Description = "fashion-mnist | cifar10 | gsc | synthetic", DefaultValueFactory = _ => "cifar10" };
    public readonly Option<string?> DataDir = new("--data-dir") { Description = "dataset directory (Fashion-MNIST: the bundled sample when omitted)" };
    public readonly Option<string> Model = new("--model") { Description = "model name: " + string.Join(", ", ModelZoo.Names), DefaultValueFactory = _ => "resnet20" };
    public readonly Option<string?> Weights = new("--weights") { Description = "initial weights: a safetensors PyTorch state_dict or an ecqx checkpoint" };
    public readonly Option<int> Epochs = new("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 10 };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "batch size", DefaultValueFactory = _ => 64 };
    public readonly Option<double> LearningRate = new("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 };
    public readonly Option<long> Seed = new("--seed") { Description = "run seed", DefaultValueFactory = _ => 808 };
    public readonly Option<string> Device = new("--device") { Description = "cpu | cuda | cuda:N | auto", DefaultValueFactory = _ => "cpu" };
    public readonly Option<int?> Threads = new("--threads") { Description = "torch intra-op threads (fix it for bit-identical CPU runs)" };
    public readonly Option<string> OutDir = new("--out-dir") { Description = "directory for checkpoint, metrics.jsonl and metrics.csv", DefaultValueFactory = _ => "runs/latest" };
    public readonly Option<bool> Resume = new("--resume") { Description = "continue from the checkpoint in --out-dir" };
    public readonly Option<int> CheckpointEvery = new("--checkpoint-every") { Description = "also checkpoint every N batches (0 = per epoch only)", DefaultValueFactory = _ => 0 };
    public readonly Option<int?> MaxBatches = new("--max-batches") { Description = "stop each epoch after N batches (smoke runs)" };
    public readonly Option<int> Patience = new("--patience") { Description = "early-stopping patience in epochs (0 = off)", DefaultValueFactory = _ => 4 };

    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { Dataset, DataDir, Model, Weights, Epochs, BatchSize, LearningRate, Seed, Device, Threads, OutDir, Resume, CheckpointEvery, MaxBatches, Patience })
            c.Options.Add(o);
    }

    public TrainerOptions Trainer(ParseResult r, torch.Device device, int pretrainEpochs = 0) => new()
    {
        Epochs = r.GetValue(Epochs), PretrainEpochs = pretrainEpochs, BatchSize = r.GetValue(BatchSize), LearningRate = r.GetValue(LearningRate),
        Seed = r.GetValue(Seed), Device = device, Threads = r.GetValue(Threads), OutputDirectory = r.GetValue(OutDir), Resume = r.GetValue(Resume),
        CheckpointEveryBatches = r.GetValue(CheckpointEvery), MaxBatchesPerEpoch = r.GetValue(MaxBatches), Patience = r.GetValue(Patience),
    };

    /// <summary>Creates the named model (seeded) and loads <c>--weights</c> when given.</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel(ParseResult r, torch.Device device)
    {
        var model = ModelZoo.Create(r.GetValue(Model)!, device: device, seed: r.GetValue(Seed));
        if (r.GetValue(Weights) is string w)
        {
            using var state = LoadStateDict(w, out _);
            StateDictLoader.Load(model, state, w);
        }
        return model;
    }

    /// <summary>
    /// With <c>--resume</c>, says which checkpoint the run continues from, or that there is none and the run starts
    /// from scratch (a resume in an empty folder is allowed, so that one command line both starts and continues a run).
    /// </summary>
    public static void AnnounceResume(IAnsiConsole console, TrainerOptions options, string? checkpoint)
    {
        if (!options.Resume) return;
        string where = Markup.Escape(options.OutputDirectory ?? "");
        console.MarkupLine(checkpoint is not null && File.Exists(checkpoint)
            ? $"resuming from [bold]{Markup.Escape(checkpoint)}[/]"
            : $"[yellow]--resume: no checkpoint in {where}; starting from scratch[/]");
    }

    /// <summary>
    /// After a resumed run that trained no epoch (its checkpoint had already finished), says why: early stopping ended
    /// it, or it already ran <c>--epochs</c> epochs (a larger <c>--epochs</c> trains on).
    /// </summary>
    /// <param name="rowsThisRun">The metrics rows this invocation produced (<see cref="QuantizationAwareTrainer.EpochCompleted"/>).</param>
    public static void ExplainNothingTrained(IAnsiConsole console, TrainerOptions options, TrainingResult result, int rowsThisRun)
    {
        if (!options.Resume || rowsThisRun > 0 || result.History.Count == 0) return;
        string where = Markup.Escape(options.OutputDirectory ?? "");
        int last = result.History[^1].Epoch;
        console.MarkupLine(result.StoppedEarly
            ? $"[yellow]--resume: the run in {where} had stopped early after epoch {last} (no improvement of ≥ {options.MinDelta} points in {options.Patience} epochs); nothing was trained — start a new run to train longer[/]"
            : $"[yellow]--resume: the run in {where} had already finished {last} epoch(s) and --epochs is {options.Epochs}; nothing was trained — give a larger --epochs to train on[/]");
    }

    /// <summary>
    /// Checks that <paramref name="state"/> (read from <paramref name="source"/>) fits the model named by <c>--model</c>:
    /// the same parameter and buffer names and shapes; the error names the model and the first mismatch.
    /// </summary>
    public void CheckAgainstModel(ParseResult r, IReadOnlyDictionary<string, torch.Tensor> state, string source)
    {
        string name = r.GetValue(Model)!;
        using var model = ModelZoo.Create(name, seed: r.GetValue(Seed));
        try { StateDictLoader.Load(model, state, source); }
        catch (InvalidDataException e) { throw new InvalidDataException($"--model {name}: {e.Message}", e); }
    }

    /// <summary>
    /// Reads a state dict from a safetensors file: a plain (PyTorch-named) state dict, or the model part of an
    /// ecqx training checkpoint (its <c>model/</c> tensors).
    /// </summary>
    public static TensorDictionary LoadStateDict(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        using var doc = SafeTensors.Load(path);
        metadata = doc.Metadata;
        bool checkpoint = doc.Metadata.ContainsKey(CheckpointState.MetadataKey);
        var result = new TensorDictionary();
        foreach (var (k, t) in doc.Tensors)
        {
            if (checkpoint && !k.StartsWith(TrainingCheckpoint.ModelPrefix, StringComparison.Ordinal)) continue;
            result.Add(checkpoint ? k[TrainingCheckpoint.ModelPrefix.Length..] : k, t.clone().DetachFromDisposeScope());
        }
        if (result.Count == 0)
        {
            result.Dispose();
            throw new InvalidDataException($"{path}: no model tensors found");
        }
        return result;
    }

    /// <summary>Loads the dataset named by <c>--dataset</c> for <paramref name="modelName"/>.</summary>
    public DatasetSplits LoadData(ParseResult r, torch.Device device) => LoadData(r, device, r.GetValue(Seed));

    /// <summary>The dataset named by <c>--dataset</c>, shuffled (and, for <c>synthetic</c>, drawn) with <paramref name="runSeed"/> instead of <c>--seed</c>.</summary>
    public DatasetSplits LoadData(ParseResult r, torch.Device device, long runSeed)
    {
        string name = r.GetValue(Dataset)!.Trim().ToLowerInvariant();
        int batch = r.GetValue(BatchSize);
        ulong seed = unchecked((ulong)runSeed);
        string? dir = r.GetValue(DataDir);
        switch (name)
        {
            case "synthetic":
            {
                var info = ModelZoo.Describe(r.GetValue(Model)!);
                int features = (int)info.SampleShape.Aggregate(1L, (a, b) => a * b);
                return SyntheticBlobs.Create(runSeed, trainCount: 2048, testCount: 512, features: features,
                    classes: info.DefaultClasses, separation: 2.0, sampleShape: info.SampleShape,
                    batch: new BatchOptions { BatchSize = batch, Seed = seed, Device = device });
            }
            case "cifar10":
                if (dir is null) throw new ArgumentException("--dataset cifar10 needs --data-dir (the extracted CIFAR-10 binary archive)");
                return Cifar10.Load(dir, new Cifar10Options { BatchSize = batch, Seed = seed, Device = device });
            case "fashion-mnist":
            case "fashion_mnist":
            {
                var opts = new IdxImageOptions { BatchSize = batch, Seed = seed, Device = device };
                return dir is null ? FashionMnist.LoadBundledSample(opts) : FashionMnist.Load(dir, opts);
            }
            case "gsc":
                if (dir is null) throw new ArgumentException("--dataset gsc needs --data-dir (the extracted Speech Commands archive)");
                return ECQx.Data.Speech.SpeechCommands.Load(dir, new ECQx.Data.Speech.SpeechCommandsOptions { BatchSize = batch, Seed = seed, Device = device });
            default:
                throw new ArgumentException($"unknown --dataset '{name}'; use fashion-mnist, cifar10, gsc or synthetic");
        }
    }
}
