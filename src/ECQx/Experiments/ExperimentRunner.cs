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
/// differs from the current configuration, or records data with another content fingerprint, is refused (pick another
/// <c>--run-id</c>). Only the training modes write <c>config.json</c>: <see cref="Plan"/> writes nothing and
/// <see cref="Report"/> only the summary files.</para>
/// <para>Shareable: <see cref="Run"/>, <see cref="RunBaselines"/> and <see cref="RunShard"/> may run in many processes
/// (Slurm array tasks on many nodes) against one results folder. Each baseline and run is worked on only under its
/// <see cref="RunClaim"/> (a step claimed by a live process is waited for; one claimed by a dead one is taken over and
/// resumes from its checkpoint). Only <see cref="Run"/> and <see cref="Report"/> write the shared summary files, and
/// they always rebuild them from the complete steps on disk, in sweep order, so a sharded sweep's report equals a
/// single process's.</para>
/// <para>The sweep is the <see cref="SweepPlan"/>: ECQx is not run at Λ = 0, where it would repeat ECQ. <see cref="Progress"/>
/// reports every step (start, epochs, end or skip) of this process for progress displays, e.g. a notebook cell.</para>
/// </remarks>
public sealed class ExperimentRunner
{
    /// <summary>Name of a completed run's (or baseline's) result file.</summary>
    public const string ResultFileName = "result.json";

    private readonly ExperimentSettings _s;
    private readonly Action<string> _log;
    private int _step, _steps;

    /// <summary>Prepares a run of <paramref name="settings"/>; <paramref name="log"/> receives progress lines.</summary>
    public ExperimentRunner(ExperimentSettings settings, Action<string>? log = null)
    {
        _s = settings ?? throw new ArgumentNullException(nameof(settings));
        _log = log ?? (_ => { });
    }

    /// <summary>
    /// Raised when a baseline or a run of this process starts, after each of its training epochs, and when it completes
    /// or is skipped as already complete (see <see cref="ExperimentProgress"/>).
    /// </summary>
    public event EventHandler<ExperimentProgress>? Progress;

    /// <summary>
    /// Runs (or continues) the whole experiment in this process (baselines, every run, summaries and report) and returns
    /// its outcome. Cancellation stops after the current batch.
    /// </summary>
    public ExperimentOutcome Run(CancellationToken ct = default)
    {
        using var sweep = Open(training: true);
        (_step, _steps) = (0, sweep.Plan.Baselines.Count + sweep.Plan.Runs.Count);
        var skipped = new List<string>();
        foreach (string model in sweep.Config.Models)
        {
            var baseline = EnsureBaseline(sweep, model, baselinesSkipped: null, ct);
            foreach (var run in sweep.Plan.Runs.Where(r => r.Model == model))
            {
                EnsureRun(sweep, run, baseline, skipped, ct);
                WriteSummaries(sweep);
            }
        }
        var outcome = WriteSummaries(sweep, skipped);
        _log($"report: {outcome.ReportPath}");
        return outcome;
    }

    /// <summary>Computes (or finds complete) the full-precision baseline of every model, and nothing else.</summary>
    public SweepProgress RunBaselines(CancellationToken ct = default)
    {
        using var sweep = Open(training: true);
        (_step, _steps) = (0, sweep.Plan.Baselines.Count);
        var skipped = new List<string>();
        var done = new List<string>();
        foreach (string model in sweep.Config.Models)
        {
            EnsureBaseline(sweep, model, skipped, ct);
            if (!skipped.Contains(BaselineName(model))) done.Add(BaselineName(model));
        }
        return new SweepProgress(sweep.Directory, sweep.RunId, done, skipped);
    }

    /// <summary>
    /// Runs the runs of <paramref name="shard"/> (<see cref="SweepPlan.Shard"/>) that are not complete yet. Their
    /// baselines must be complete (<see cref="RunBaselines"/>); a missing one is an <see cref="InvalidOperationException"/>
    /// saying so. Writes no shared summary file: <see cref="Report"/> collects the runs afterwards.
    /// </summary>
    public SweepProgress RunShard(SweepShard shard, CancellationToken ct = default)
    {
        using var sweep = Open(training: true);
        var runs = sweep.Plan.Shard(shard);
        (_step, _steps) = (0, runs.Count);
        _log($"shard {shard}: {runs.Count} of {sweep.Plan.Runs.Count} run(s){(runs.Count > 0 ? ": " + string.Join(", ", runs.Select(r => r.Name)) : "")}");
        var baselines = new Dictionary<string, BaselineResult>(StringComparer.Ordinal);
        foreach (string model in runs.Select(r => r.Model).Distinct())
        {
            string path = Path.Combine(BaselineDirectory(sweep.Directory, model), ResultFileName);
            if (!File.Exists(path))
                throw new InvalidOperationException(
                    $"shard {shard} needs the full-precision baseline of {model}, which is not complete ({path} is missing); " +
                    "run the same command with --baselines-only first (the Slurm chain written by --slurm does)");
            baselines[model] = ReadJson<BaselineResult>(path);
        }
        var skipped = new List<string>();
        var done = new List<string>();
        foreach (var run in runs)
        {
            EnsureRun(sweep, run, baselines[run.Model], skipped, ct);
            if (!skipped.Contains(run.Name)) done.Add(run.Name);
        }
        return new SweepProgress(sweep.Directory, sweep.RunId, done, skipped);
    }

    /// <summary>
    /// Runs nothing: collects every complete baseline and run of the results folder into <c>results.csv</c>,
    /// <c>results.json</c>, <c>epochs.jsonl</c> and <c>report.html</c> (runs in sweep order).
    /// </summary>
    public ExperimentOutcome Report()
    {
        using var sweep = Open(training: false);
        var outcome = WriteSummaries(sweep, Array.Empty<string>());
        int missing = sweep.Plan.Runs.Count - outcome.Results.Count;
        _log($"{outcome.Results.Count} of {sweep.Plan.Runs.Count} run(s) complete{(missing > 0 ? $" ({missing} missing: the report shows the complete ones)" : "")}; report: {outcome.ReportPath}");
        return outcome;
    }

    /// <summary>The plan of the sweep and the state of every baseline and run in the results folder; runs nothing.</summary>
    public SweepStatus Plan()
    {
        using var sweep = Open(training: false);
        var lease = _s.ClaimLease ?? RunClaim.DefaultLease;
        var baselines = sweep.Plan.Baselines.Select(b => new StepStatus(BaselineName(b.Model),
            State(BaselineDirectory(sweep.Directory, b.Model), lease))).ToList();
        var runs = sweep.Plan.Runs.Select(r => new StepStatus(r.Name, State(RunDirectory(sweep.Directory, r.Name), lease))).ToList();
        return new SweepStatus(sweep.Directory, sweep.RunId, sweep.Config, sweep.Plan, baselines, runs);
    }

    /// <summary>The state of one baseline or run folder: complete, running (live claim), interrupted (checkpoint or dead claim) or pending.</summary>
    public static StepState State(string folder, TimeSpan lease)
    {
        if (File.Exists(Path.Combine(folder, ResultFileName))) return StepState.Complete;
        var (claim, _) = RunClaim.Inspect(folder, lease);
        if (claim == RunClaimState.Held) return StepState.Running;
        if (claim == RunClaimState.Stale || File.Exists(Path.Combine(folder, QuantizationAwareTrainer.CheckpointFileName))) return StepState.Interrupted;
        return StepState.Pending;
    }

    /// <summary>The folder of the baseline of <paramref name="model"/> in the results folder <paramref name="dir"/>.</summary>
    public static string BaselineDirectory(string dir, string model) => Path.Combine(dir, "baseline", model);

    /// <summary>The folder of the run <paramref name="run"/> in the results folder <paramref name="dir"/>.</summary>
    public static string RunDirectory(string dir, string run) => Path.Combine(dir, "runs", run);

    /// <summary>The name of a model's baseline step in plans and logs, e.g. <c>baseline-mlp_28x28</c>.</summary>
    public static string BaselineName(string model) => "baseline-" + model;

    /// <summary>
    /// Opens the sweep: loads the data, resolves the configuration and prepares its folder. Without
    /// <paramref name="training"/> (plan, report) the data stays on the CPU, so a login node without the runs' GPU can
    /// plan, write Slurm scripts and build reports.
    /// </summary>
    private Sweep Open(bool training)
    {
        _s.Validate();
        TorchRuntime.EnsureLoaded();
        var def = ExperimentCatalog.Get(_s.Experiment);
        var device = training ? TorchRuntime.ParseDevice(_s.Device) : torch.CPU;
        if (_s.Threads is int threads) torch.set_num_threads(threads);
        var defaults = def.Defaults(_s.Quick);
        def.CheckModels(_s.Models ?? defaults.Models);

        var data = def.LoadData(_s, defaults.BatchSize, device, _log);
        try
        {
            var config = def.Resolve(_s, data);
            string runId = _s.RunId ?? config.DefaultRunId();
            string dir = Path.GetFullPath(Path.Combine(_s.OutputRoot, def.Name, runId));
            PrepareFolder(dir, config, runId, write: training);
            _log($"{def.Name}: results in {dir}");
            var plan = SweepPlan.Create(config, m => def.PretrainedWeights(m) is not null, m => ParameterCount(m, data.Classes),
                data.Splits.Train.Count, data.Splits.Test.Count);
            return new Sweep(def, device, data, config, runId, dir, plan);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    private static long ParameterCount(string model, int classes)
    {
        using var m = ModelZoo.Create(model, classes, torch.CPU, 0);
        return m.parameters().Sum(p => p.numel());
    }

    /// <summary>Waits for, or takes, the claim on <paramref name="folder"/>; null when the step is (or became) complete.</summary>
    private RunClaim? Claim(string folder, string label, CancellationToken ct)
    {
        var lease = _s.ClaimLease ?? RunClaim.DefaultLease;
        string result = Path.Combine(folder, ResultFileName);
        string? lastHolder = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (File.Exists(result)) return null;
            var claim = RunClaim.TryAcquire(folder, lease, out var holder);
            if (claim is not null)
            {
                if (!File.Exists(result)) return claim;
                claim.Dispose(); // finished by the previous owner between our checks
                return null;
            }
            string who = holder?.Describe() ?? "an owner whose claim file is being written";
            if (who != lastHolder)
            {
                _log($"{label}: claimed by {who}; waiting until it completes or its owner is gone (lease {lease.TotalMinutes:0.#} min)");
                lastHolder = who;
            }
            ct.WaitHandle.WaitOne(ClaimPollInterval);
        }
    }

    /// <summary>How often a step claimed by another live process is checked again.</summary>
    private static readonly TimeSpan ClaimPollInterval = TimeSpan.FromSeconds(2);

    private BaselineResult EnsureBaseline(Sweep sweep, string model, List<string>? baselinesSkipped, CancellationToken ct)
    {
        string bdir = BaselineDirectory(sweep.Directory, model);
        string resultPath = Path.Combine(bdir, ResultFileName);
        int step = _step++;
        using (var claim = Claim(bdir, BaselineName(model), ct))
        {
            if (claim is not null)
            {
                RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Started, null, null));
                var fresh = Baseline(sweep, model, bdir, step, ct);
                RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Completed, null, null));
                return fresh;
            }
        }
        _log($"{model} baseline: complete, skipped");
        baselinesSkipped?.Add(BaselineName(model));
        RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Skipped, null, null));
        return ReadJson<BaselineResult>(resultPath);
    }

    private void EnsureRun(Sweep sweep, SweepRun run, BaselineResult baseline, List<string> skipped, CancellationToken ct)
    {
        string rdir = RunDirectory(sweep.Directory, run.Name);
        int step = _step++;
        using (var claim = Claim(rdir, run.Name, ct))
        {
            if (claim is not null)
            {
                RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Started, null, null));
                var result = Quantize(sweep, run, baseline, rdir, step, ct);
                RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Completed, null, result));
                return;
            }
        }
        _log($"{run.Name}: complete, skipped");
        skipped.Add(run.Name);
        RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Skipped, null, ReadJson<QuantizationRunResult>(Path.Combine(rdir, ResultFileName))));
    }

    /// <summary>The run name of one sweep point, e.g. <c>mlp_28x28-ecqx-4bit-lambda0.05</c>.</summary>
    public static string RunName(string model, string method, int bits, double lambda) =>
        $"{model}-{method.ToLowerInvariant()}-{bits}bit-lambda{lambda.ToString("R", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Checks the run id's <c>config.json</c> against <paramref name="config"/> (another configuration, or the same one on
    /// data with another content fingerprint, is refused) and, when <paramref name="write"/>, writes it (creating the
    /// folder). Planning and reporting pass <c>false</c>: they write no configuration, so a plan needs no writable storage
    /// and a report only its own files' folder.
    /// </summary>
    private static void PrepareFolder(string dir, ResolvedConfig config, string runId, bool write)
    {
        string path = Path.Combine(dir, "config.json");
        if (File.Exists(path))
        {
            var existing = ResolvedConfig.FromJson(File.ReadAllText(path), path);
            if (existing.Identity() != config.Identity())
                throw new ArgumentException(
                    $"run id '{runId}' already holds results of a different configuration ({path}); choose another --run-id, or omit it to get one derived from the configuration");
            if (existing.DataContent is string was && config.DataContent is string now && was != now)
                throw new ArgumentException(
                    $"{path}: run id '{runId}' was run on other data: dataContent = {was} then, {now} now ({config.Data}); its complete " +
                    "steps would be mixed with steps on this data — run it with the data it was run on, or choose another --run-id");
        }
        if (write) AtomicFile.WriteAllText(path, config.ToJson()); // creates the folder; a failure names config.json
    }

    private void RaiseProgress(ExperimentProgress progress) => Progress?.Invoke(this, progress);

    private BaselineResult Baseline(Sweep sweep, string modelName, string bdir, int step, CancellationToken ct)
    {
        var (def, config, data, device, dir) = (sweep.Definition, sweep.Config, sweep.Data, sweep.Device, sweep.Directory);
        string resultPath = Path.Combine(bdir, ResultFileName);
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
            trainer.EpochCompleted += (_, m) =>
            {
                _log($"{modelName} baseline: epoch {m.Epoch}: test accuracy {m.TestAccuracy:F2}%");
                RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(modelName), ExperimentStage.Epoch, m, null));
            };
            trainer.Run(ct);
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

    private QuantizationRunResult Quantize(Sweep sweep, SweepRun run, BaselineResult baseline, string rdir, int step, CancellationToken ct)
    {
        var (config, data, device, dir) = (sweep.Config, sweep.Data, sweep.Device, sweep.Directory);
        var (name, modelName, method, bits, lambda) = (run.Name, run.Model, run.Method, run.Bits, run.Lambda);
        Directory.CreateDirectory(rdir);
        var sw = Stopwatch.StartNew();
        bool ecqx = method == "ECQx";
        _log($"{name}: {method}{(ecqx ? " (" + config.Relevance + ")" : "")}, {bits} bit, Λ = {lambda.ToString(CultureInfo.InvariantCulture)}, {config.Epochs} epoch(s)");

        using var model = ModelZoo.Create(modelName, data.Classes, device, config.Seed);
        StateDictLoader.LoadSafeTensors(model, Absolute(dir, baseline.WeightsFile));
        model.to(device);
        var settings = new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda }, Ecqx = config.EcqxOptions };
        using var quantizer = new EcqWeightQuantizer(settings);
        var relevance = ecqx ? RelevanceMethods.Create(config.Relevance, new RelevanceOptions { Seed = config.Seed }) : null;
        using var disposeRelevance = relevance as IDisposable;
        var options = TrainerOptions(config, device, rdir, config.Epochs, config.MaxBatchesPerEpoch);
        TrainingResult training;
        string quantizedPath = Path.Combine(rdir, "quantized.safetensors");
        using (var trainer = new QuantizationAwareTrainer(model, data.Splits, options, quantizer, relevance))
        {
            trainer.EpochCompleted += (_, m) =>
            {
                _log($"{name}: {(m.Phase == TrainingPhase.Initial ? "initial quantization" : $"epoch {m.Epoch}")}: " +
                     $"test accuracy {m.TestAccuracy:F2}%, sparsity {100 * m.QuantizedSparsity:F1}%");
                RaiseProgress(new ExperimentProgress(step, _steps, name, ExperimentStage.Epoch, m, null));
            };
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
            using (var decoded = StateDictAdapter.ToStateDict(contents.Model))
                StateDictLoader.Load(decodedModel, decoded, ecqxPath);
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
        return result;
    }

    private static TrainerOptions TrainerOptions(ResolvedConfig config, torch.Device device, string outDir, int epochs, int? maxBatches) => new()
    {
        Epochs = epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate,
        Seed = config.Seed, Device = device, Threads = config.Threads, MaxBatchesPerEpoch = maxBatches,
        OutputDirectory = outDir, Resume = true,
    };

    /// <summary>
    /// Collects every complete baseline and run of the sweep's folder (runs in sweep order) and rewrites the summary files
    /// and the report from them, atomically: whichever process writes them, they describe what is on disk.
    /// </summary>
    private static ExperimentOutcome WriteSummaries(Sweep sweep, IReadOnlyList<string>? skipped = null)
    {
        var baselines = new List<BaselineResult>();
        var results = new List<QuantizationRunResult>();
        var histories = new Dictionary<string, IReadOnlyList<EpochMetrics>>(StringComparer.Ordinal);
        foreach (var b in sweep.Plan.Baselines)
        {
            string bdir = BaselineDirectory(sweep.Directory, b.Model);
            string path = Path.Combine(bdir, ResultFileName);
            if (!File.Exists(path)) continue;
            baselines.Add(ReadJson<BaselineResult>(path));
            histories[BaselineName(b.Model)] = ReadHistory(bdir);
        }
        foreach (var run in sweep.Plan.Runs)
        {
            string rdir = RunDirectory(sweep.Directory, run.Name);
            string path = Path.Combine(rdir, ResultFileName);
            if (!File.Exists(path)) continue;
            results.Add(ReadJson<QuantizationRunResult>(path));
            histories[run.Name] = ReadHistory(rdir);
        }
        ResultFiles.Write(sweep.Directory, baselines, results, histories);
        string report = ExperimentReport.Build(sweep.Definition, sweep.Config, sweep.Data.Synthetic, baselines, results, histories, sweep.Directory)
            .Save(Path.Combine(sweep.Directory, "report.html"));
        return new ExperimentOutcome(sweep.Directory, sweep.RunId, sweep.Config, sweep.Data.Synthetic, baselines, results,
            skipped ?? Array.Empty<string>(), report, histories);
    }

    /// <summary>An opened sweep: its experiment, device, loaded data, resolved configuration, folder and plan.</summary>
    private sealed record Sweep(ExperimentDefinition Definition, torch.Device Device, ExperimentData Data, ResolvedConfig Config,
        string RunId, string Directory, SweepPlan Plan) : IDisposable
    {
        public void Dispose() => Data.Dispose();
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
