using System.Globalization;
using ECQx.Training;

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
        using var sweep = OpenedSweep.Open(_s, training: true, _log);
        (_step, _steps) = (0, sweep.Plan.Baselines.Count + sweep.Plan.Runs.Count);
        var skipped = new List<string>();
        foreach (string model in sweep.Config.Models)
        {
            var baseline = EnsureBaseline(sweep, model, baselinesSkipped: null, ct);
            foreach (var run in sweep.Plan.Runs.Where(r => r.Model == model))
            {
                EnsureRun(sweep, run, baseline, skipped, ct);
                SweepSummaries.Write(sweep);
            }
        }
        var outcome = SweepSummaries.Write(sweep, skipped);
        _log($"report: {outcome.ReportPath}");
        return outcome;
    }

    /// <summary>Computes (or finds complete) the full-precision baseline of every model, and nothing else.</summary>
    public SweepProgress RunBaselines(CancellationToken ct = default)
    {
        using var sweep = OpenedSweep.Open(_s, training: true, _log);
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
        using var sweep = OpenedSweep.Open(_s, training: true, _log);
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
            baselines[model] = SweepSummaries.ReadJson<BaselineResult>(path);
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
        using var sweep = OpenedSweep.Open(_s, training: false, _log);
        var outcome = SweepSummaries.Write(sweep, Array.Empty<string>());
        int missing = sweep.Plan.Runs.Count - outcome.Results.Count;
        _log($"{outcome.Results.Count} of {sweep.Plan.Runs.Count} run(s) complete{(missing > 0 ? $" ({missing} missing: the report shows the complete ones)" : "")}; report: {outcome.ReportPath}");
        return outcome;
    }

    /// <summary>
    /// The plan of the sweep and the state of every baseline and run in the results folder; trains nothing. With
    /// <paramref name="timing"/>, also the estimated wall times (<see cref="SweepStatus.Estimate"/>) from the step-time
    /// cache, calibrating what it lacks on the sweep's data and device when <see cref="PlanTiming.Calibrate"/> (a device
    /// that is not available here is a <see cref="SweepStatus.EstimateNote"/>, not an error).
    /// </summary>
    public SweepStatus Plan(PlanTiming? timing = null, CancellationToken ct = default)
    {
        TorchSharp.torch.Device? device = null;
        string? deviceProblem = null;
        if (timing is { Calibrate: true })
        {
            try { device = TorchRuntime.ParseDevice(_s.Device); }
            catch (ArgumentException e) { deviceProblem = e.Message; }
            if (device is { type: TorchSharp.DeviceType.CUDA } && device.index >= TorchSharp.torch.cuda.device_count())
            {
                deviceProblem = $"device '{_s.Device}' is not here ({TorchSharp.torch.cuda.device_count()} CUDA device(s))";
                device = null;
            }
        }
        using var sweep = OpenedSweep.Open(_s, training: false, _log, device);
        var lease = _s.ClaimLease ?? RunClaim.DefaultLease;
        var baselines = sweep.Plan.Baselines.Select(b => new StepStatus(BaselineName(b.Model),
            State(BaselineDirectory(sweep.Directory, b.Model), lease))).ToList();
        var runs = sweep.Plan.Runs.Select(r => new StepStatus(r.Name, State(RunDirectory(sweep.Directory, r.Name), lease))).ToList();
        var status = new SweepStatus(sweep.Directory, sweep.RunId, sweep.Config, sweep.Plan, baselines, runs);
        if (timing is null) return status;
        var estimate = SweepTiming.Estimate(sweep, timing with { Calibrate = timing.Calibrate && device is not null }, _log, ct, out string? note);
        if (estimate is null && deviceProblem is not null)
            note = $"cannot calibrate on this machine: {deviceProblem.TrimEnd('.')}; run --plan on a machine that has the device (docs/cluster.md)";
        return status with { Estimate = estimate, EstimateNote = note };
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

    private BaselineResult EnsureBaseline(OpenedSweep sweep, string model, List<string>? baselinesSkipped, CancellationToken ct)
    {
        string bdir = BaselineDirectory(sweep.Directory, model);
        string resultPath = Path.Combine(bdir, ResultFileName);
        int step = _step++;
        using (var claim = Claim(bdir, BaselineName(model), ct))
        {
            if (claim is not null)
            {
                RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Started, null, null));
                var fresh = SweepSteps.Baseline(sweep, model, bdir, _log,
                    m => RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Epoch, m, null)), ct);
                NativeHeap.Release(); // the next stage starts from what is live, not from this one's peak
                RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Completed, null, null));
                return fresh;
            }
        }
        _log($"{model} baseline: complete, skipped");
        baselinesSkipped?.Add(BaselineName(model));
        RaiseProgress(new ExperimentProgress(step, _steps, BaselineName(model), ExperimentStage.Skipped, null, null));
        return SweepSummaries.ReadJson<BaselineResult>(resultPath);
    }

    private void EnsureRun(OpenedSweep sweep, SweepRun run, BaselineResult baseline, List<string> skipped, CancellationToken ct)
    {
        string rdir = RunDirectory(sweep.Directory, run.Name);
        int step = _step++;
        using (var claim = Claim(rdir, run.Name, ct))
        {
            if (claim is not null)
            {
                RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Started, null, null));
                var result = SweepSteps.Quantize(sweep, run, baseline, rdir, _log,
                    m => RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Epoch, m, null)), ct);
                NativeHeap.Release();
                RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Completed, null, result));
                return;
            }
        }
        _log($"{run.Name}: complete, skipped");
        skipped.Add(run.Name);
        RaiseProgress(new ExperimentProgress(step, _steps, run.Name, ExperimentStage.Skipped, null, SweepSummaries.ReadJson<QuantizationRunResult>(Path.Combine(rdir, ResultFileName))));
    }

    /// <summary>The run name of one sweep point, e.g. <c>mlp_28x28-ecqx-4bit-lambda0.05</c>.</summary>
    public static string RunName(string model, string method, int bits, double lambda) =>
        $"{model}-{method.ToLowerInvariant()}-{bits}bit-lambda{lambda.ToString("R", CultureInfo.InvariantCulture)}";

    private void RaiseProgress(ExperimentProgress progress) => Progress?.Invoke(this, progress);
}
