using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ECQx.Coding;
using ECQx.IO;
using ECQx.Models;
using ECQx.Quantization;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;

namespace ECQx.Experiments;

/// <summary>
/// Runs one experiment: the full-precision baseline of every model, then every (model, method, bit width, Λ)
/// quantization run, each coded to an .ecqx file, and writes the results folder and its report.
/// </summary>
/// <remarks>
/// <para>Folder <c>&lt;out&gt;/&lt;experiment&gt;/&lt;run-id&gt;/</c>: <c>config.json</c>; <c>baseline/&lt;model&gt;/</c>
/// (trainer checkpoint and metrics, <c>model.safetensors</c>, <c>result.json</c>); <c>runs/&lt;run&gt;/</c> (trainer
/// checkpoint, <c>metrics.jsonl</c>/<c>metrics.csv</c>, <c>quantized.safetensors</c>, <c>result.json</c>);
/// <c>models/&lt;run&gt;.ecqx</c>; and, rewritten after every run, <c>epochs.jsonl</c> (every run's per-epoch rows),
/// <c>results.csv</c>, <c>results.json</c> and <c>report.html</c>.</para>
/// <para>Resumable: a run's <c>result.json</c> is written atomically and last, so a complete run is skipped on a rerun
/// with the same run id; an interrupted run continues from its trainer checkpoint. A run id whose <c>config.json</c>
/// differs from the current configuration is refused (pick another <c>--run-id</c>).</para>
/// </remarks>
public sealed class ExperimentRunner
{
    /// <summary>Name of a completed run's (or baseline's) result file.</summary>
    public const string ResultFileName = "result.json";

    private readonly ExperimentSettings _s;
    private readonly Action<string> _log;

    /// <summary>Prepares a run of <paramref name="settings"/>; <paramref name="log"/> receives progress lines.</summary>
    public ExperimentRunner(ExperimentSettings settings, Action<string>? log = null)
    {
        _s = settings ?? throw new ArgumentNullException(nameof(settings));
        _log = log ?? (_ => { });
    }

    /// <summary>Runs (or continues) the experiment and returns its outcome. Cancellation stops after the current batch.</summary>
    public ExperimentOutcome Run(CancellationToken ct = default)
    {
        _s.Validate();
        TorchRuntime.EnsureLoaded();
        var def = ExperimentCatalog.Get(_s.Experiment);
        var device = TorchRuntime.ParseDevice(_s.Device);
        if (_s.Threads is int threads) torch.set_num_threads(threads);
        var defaults = def.Defaults(_s.Quick);
        def.CheckModels(_s.Models ?? defaults.Models);

        using var data = def.LoadData(_s, defaults.BatchSize, device, _log);
        var config = def.Resolve(_s, data);
        string runId = _s.RunId ?? config.DefaultRunId();
        string dir = Path.GetFullPath(Path.Combine(_s.OutputRoot, def.Name, runId));
        PrepareFolder(dir, config, runId);
        _log($"{def.Name}: results in {dir}");

        var baselines = new List<BaselineResult>();
        var results = new List<QuantizationRunResult>();
        var skipped = new List<string>();
        var histories = new Dictionary<string, IReadOnlyList<EpochMetrics>>(StringComparer.Ordinal);
        foreach (string model in config.Models)
        {
            var baseline = Baseline(def, model, config, data, device, dir, histories, ct);
            baselines.Add(baseline);
            foreach (string method in config.Methods)
                foreach (int bits in config.Bits)
                    foreach (double lambda in config.Lambdas)
                    {
                        ct.ThrowIfCancellationRequested();
                        string name = RunName(model, method, bits, lambda);
                        string resultPath = Path.Combine(dir, "runs", name, ResultFileName);
                        if (File.Exists(resultPath))
                        {
                            results.Add(ReadJson<QuantizationRunResult>(resultPath));
                            histories[name] = ReadHistory(Path.Combine(dir, "runs", name));
                            skipped.Add(name);
                            _log($"{name}: complete, skipped");
                        }
                        else
                        {
                            var (r, h) = Quantize(model, method, bits, lambda, baseline, config, data, device, dir, ct);
                            results.Add(r);
                            histories[name] = h;
                        }
                        WriteSummaries(def, dir, config, data.Synthetic, baselines, results, histories);
                    }
            if (config.Methods.Count == 0 || config.Bits.Count == 0) WriteSummaries(def, dir, config, data.Synthetic, baselines, results, histories);
        }
        string report = WriteSummaries(def, dir, config, data.Synthetic, baselines, results, histories);
        _log($"report: {report}");
        return new ExperimentOutcome(dir, runId, config, data.Synthetic, baselines, results, skipped, report, histories);
    }

    /// <summary>The run name of one sweep point, e.g. <c>mlp_28x28-ecqx-4bit-lambda0.05</c>.</summary>
    public static string RunName(string model, string method, int bits, double lambda) =>
        $"{model}-{method.ToLowerInvariant()}-{bits}bit-lambda{lambda.ToString("R", CultureInfo.InvariantCulture)}";

    private static void PrepareFolder(string dir, ResolvedConfig config, string runId)
    {
        string path = Path.Combine(dir, "config.json");
        if (File.Exists(path))
        {
            var existing = ResolvedConfig.FromJson(File.ReadAllText(path), path);
            if (existing.Identity() != config.Identity())
                throw new ArgumentException(
                    $"run id '{runId}' already holds results of a different configuration ({path}); choose another --run-id, or omit it to get one derived from the configuration");
        }
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(path, config.ToJson());
    }

    private BaselineResult Baseline(ExperimentDefinition def, string modelName, ResolvedConfig config, ExperimentData data,
        torch.Device device, string dir, Dictionary<string, IReadOnlyList<EpochMetrics>> histories, CancellationToken ct)
    {
        string bdir = Path.Combine(dir, "baseline", modelName);
        string resultPath = Path.Combine(bdir, ResultFileName);
        string historyKey = "baseline-" + modelName;
        if (File.Exists(resultPath))
        {
            _log($"{modelName} baseline: complete, skipped");
            histories[historyKey] = ReadHistory(bdir);
            return ReadJson<BaselineResult>(resultPath);
        }
        Directory.CreateDirectory(bdir);
        var sw = Stopwatch.StartNew();
        using var model = ModelZoo.Create(modelName, data.Classes, device, config.Seed);
        string? pretrained = def.PretrainedWeights(modelName);
        string source, weightsFile;
        if (pretrained is not null)
        {
            _log($"{modelName} baseline: pretrained weights {pretrained}");
            StateDictLoader.LoadSafeTensors(model, pretrained);
            model.to(device);
            source = "pretrained: " + pretrained;
            weightsFile = pretrained;
        }
        else
        {
            _log($"{modelName} baseline: training in full precision, {config.BaselineEpochs} epoch(s)");
            var options = TrainerOptions(config, device, bdir, config.BaselineEpochs, config.BaselineMaxBatchesPerEpoch);
            using var trainer = new QuantizationAwareTrainer(model, data.Splits, options);
            trainer.EpochCompleted += (_, m) => _log($"{modelName} baseline: epoch {m.Epoch}: test accuracy {m.TestAccuracy:F2}%");
            var result = trainer.Run(ct);
            histories[historyKey] = result.History;
            weightsFile = Path.Combine(bdir, "model.safetensors");
            SafeTensors.Save(weightsFile, model.state_dict());
            source = $"trained here, {config.BaselineEpochs} epoch(s){(config.BaselineMaxBatchesPerEpoch is int m ? $" of at most {m} batches" : "")}";
        }
        double acc = TestAccuracy(model, data, device);
        long parameters = model.parameters().Sum(p => p.numel());
        var baseline = new BaselineResult(modelName, source, acc, ModelEvaluation.Fp32Bytes(model), parameters,
            Relative(dir, weightsFile), sw.Elapsed.TotalSeconds);
        WriteJson(resultPath, baseline);
        File.Delete(Path.Combine(bdir, QuantizationAwareTrainer.CheckpointFileName));
        _log($"{modelName} baseline: test accuracy {acc:F2}%");
        return baseline;
    }

    private (QuantizationRunResult, IReadOnlyList<EpochMetrics>) Quantize(string modelName, string method, int bits, double lambda,
        BaselineResult baseline, ResolvedConfig config, ExperimentData data, torch.Device device, string dir, CancellationToken ct)
    {
        string name = RunName(modelName, method, bits, lambda);
        string rdir = Path.Combine(dir, "runs", name);
        Directory.CreateDirectory(rdir);
        var sw = Stopwatch.StartNew();
        bool ecqx = method == "ECQx";
        _log($"{name}: {method}{(ecqx ? " (" + config.Relevance + ")" : "")}, {bits} bit, Λ = {lambda.ToString(CultureInfo.InvariantCulture)}, {config.Epochs} epoch(s)");

        using var model = ModelZoo.Create(modelName, data.Classes, device, config.Seed);
        StateDictLoader.LoadSafeTensors(model, Absolute(dir, baseline.WeightsFile));
        model.to(device);
        var settings = new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda } };
        using var quantizer = new EcqWeightQuantizer(settings);
        var relevance = ecqx ? RelevanceMethods.Create(config.Relevance, new RelevanceOptions { Seed = config.Seed }) : null;
        using var disposeRelevance = relevance as IDisposable;
        var options = TrainerOptions(config, device, rdir, config.Epochs, config.MaxBatchesPerEpoch);
        TrainingResult training;
        string quantizedPath = Path.Combine(rdir, "quantized.safetensors");
        using (var trainer = new QuantizationAwareTrainer(model, data.Splits, options, quantizer, relevance))
        {
            trainer.EpochCompleted += (_, m) => _log($"{name}: {(m.Phase == TrainingPhase.Initial ? "initial quantization" : $"epoch {m.Epoch}")}: " +
                $"test accuracy {m.TestAccuracy:F2}%, sparsity {100 * m.QuantizedSparsity:F1}%");
            training = trainer.Run(ct);
            trainer.SaveQuantizedStateDict(quantizedPath);
        }

        // Code the quantized model, then measure the accuracy of the model decoded from the file.
        string ecqxPath = Path.Combine(dir, "models", name + EcqxModelFile.Extension);
        Directory.CreateDirectory(Path.GetDirectoryName(ecqxPath)!);
        using (var doc = SafeTensors.Load(quantizedPath))
            EcqxModelFile.Write(ecqxPath, StateDictAdapter.FromStateDict(doc.Tensors, doc.Metadata));
        var contents = EcqxModelFile.ReadDetailed(ecqxPath);
        var report = CompressionReport.Create(contents, baselines: false);
        double decodedAccuracy;
        using (var decodedModel = ModelZoo.Create(modelName, data.Classes, device, config.Seed))
        {
            var decoded = StateDictAdapter.ToStateDict(contents.Model);
            try { StateDictLoader.Load(decodedModel, decoded.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), ecqxPath); }
            finally { foreach (var (_, t) in decoded) t.Dispose(); }
            decodedModel.to(device);
            decodedAccuracy = TestAccuracy(decodedModel, data, device);
        }
        var layers = report.Tensors.Where(t => t.Storage == EcqxStorage.Levels)
            .Select(t => new LayerSummary(t.Name, t.Elements, 100 * (t.Sparsity ?? 0), t.EntropyBitsPerLevel ?? 0, t.StoredBytes)).ToList();
        var last = training.History.Count > 0 ? training.History[^1] : null;
        var result = new QuantizationRunResult(name, modelName, method, ecqx ? config.Relevance : null, bits, lambda,
            training.History.Count(h => h.Phase == TrainingPhase.Quantize), decodedAccuracy, last?.TestAccuracy ?? double.NaN,
            100 * report.LevelSparsity, report.FileBytes, report.Fp32Bytes, report.CompressionFactor, report.LevelEntropyBoundBytes,
            Relative(dir, ecqxPath), sw.Elapsed.TotalSeconds, layers);
        WriteJson(Path.Combine(rdir, ResultFileName), result);
        File.Delete(Path.Combine(rdir, QuantizationAwareTrainer.CheckpointFileName)); // complete: result.json supersedes the resume point
        _log($"{name}: accuracy {decodedAccuracy:F2}% (decoded), sparsity {result.SparsityPercent:F1}%, {result.CodedBytes} bytes, " +
             $"{result.CompressionFactor:F1}× ({sw.Elapsed.TotalSeconds:F0} s)");
        return (result, training.History);
    }

    private static TrainerOptions TrainerOptions(ResolvedConfig config, torch.Device device, string outDir, int epochs, int? maxBatches) => new()
    {
        Epochs = epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate,
        Seed = config.Seed, Device = device, Threads = config.Threads, MaxBatchesPerEpoch = maxBatches,
        OutputDirectory = outDir, Resume = true,
    };

    private static string WriteSummaries(ExperimentDefinition def, string dir, ResolvedConfig config, bool synthetic,
        IReadOnlyList<BaselineResult> baselines, IReadOnlyList<QuantizationRunResult> results,
        IReadOnlyDictionary<string, IReadOnlyList<EpochMetrics>> histories)
    {
        ResultFiles.Write(dir, baselines, results, histories);
        return ExperimentReport.Build(def, config, synthetic, baselines, results, histories, dir).Save(Path.Combine(dir, "report.html"));
    }

    private static IReadOnlyList<EpochMetrics> ReadHistory(string runDir)
    {
        string path = Path.Combine(runDir, "metrics.jsonl");
        return File.Exists(path) ? MetricsLog.FromJsonLines(File.ReadAllText(path)) : Array.Empty<EpochMetrics>();
    }

    private static T ReadJson<T>(string path)
    {
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path), ResolvedConfig.Json) ?? throw new InvalidDataException($"{path}: empty result"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid result file ({e.Message}); delete it to rerun that step", e); }
    }

    private static void WriteJson<T>(string path, T value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, ResolvedConfig.Json));

    private static string Relative(string dir, string path)
    {
        string full = Path.GetFullPath(path);
        return full.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(dir, full) : full;
    }

    private static string Absolute(string dir, string path) => Path.IsPathRooted(path) ? path : Path.Combine(dir, path);

    /// <summary>Test accuracy in %; an experiment without test data is an error.</summary>
    private static double TestAccuracy(torch.nn.Module<torch.Tensor, torch.Tensor> model, ExperimentData data, torch.Device device)
    {
        double acc = ModelEvaluation.Accuracy(model, data.Splits.Test, device);
        return double.IsNaN(acc) ? throw new InvalidOperationException("the test set is empty; accuracy is undefined") : acc;
    }
}
