using System.Globalization;
using System.Text.Json;
using ECQx.Cli.Cluster;
using ECQx.Experiments;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>What one <c>ecqx reproduce</c> invocation does with its sweep.</summary>
internal enum ReproduceModeKind
{
    /// <summary>Everything in this process (the default).</summary>
    All,
    /// <summary><c>--plan</c>: list runs and their state.</summary>
    Plan,
    /// <summary><c>--baselines-only</c>.</summary>
    Baselines,
    /// <summary><c>--shard I/N</c>.</summary>
    Shard,
    /// <summary><c>--report</c>.</summary>
    Report,
    /// <summary><c>--slurm</c>: write (and submit) the Slurm chain.</summary>
    Slurm,
}

/// <summary>The mode of an invocation, from its mutually exclusive mode options.</summary>
/// <param name="Kind">The mode.</param>
/// <param name="Shard">The shard, for <see cref="ReproduceModeKind.Shard"/>.</param>
internal sealed record ReproduceMode(ReproduceModeKind Kind, SweepShard? Shard)
{
    /// <summary>The mode chosen by the options; two modes at once are an <see cref="ArgumentException"/>.</summary>
    public static ReproduceMode From(bool plan, string? shard, bool baselinesOnly, bool report, bool slurm)
    {
        var chosen = new List<(string Option, ReproduceModeKind Kind)>();
        if (plan) chosen.Add(("--plan", ReproduceModeKind.Plan));
        if (shard is not null) chosen.Add(("--shard", ReproduceModeKind.Shard));
        if (baselinesOnly) chosen.Add(("--baselines-only", ReproduceModeKind.Baselines));
        if (report) chosen.Add(("--report", ReproduceModeKind.Report));
        if (slurm) chosen.Add(("--slurm", ReproduceModeKind.Slurm));
        if (chosen.Count > 1) throw new ArgumentException($"{string.Join(" and ", chosen.Select(c => c.Option))} cannot be combined; choose one");
        if (chosen.Count == 0) return new ReproduceMode(ReproduceModeKind.All, null);
        return new ReproduceMode(chosen[0].Kind, chosen[0].Kind == ReproduceModeKind.Shard ? SweepShard.Parse(shard!) : null);
    }

    /// <summary>Rejects options that mean nothing in this mode (e.g. <c>--submit</c> without <c>--slurm</c>).</summary>
    public void CheckOptions(bool json, bool submit, SlurmOptions slurm, bool noCalibrate = false)
    {
        if (json && Kind != ReproduceModeKind.Plan) throw new ArgumentException("--json goes with --plan");
        if (noCalibrate && Kind != ReproduceModeKind.Plan) throw new ArgumentException("--no-calibrate goes with --plan (--slurm never calibrates: it reads the cache)");
        if (Kind == ReproduceModeKind.Slurm)
        {
            slurm.Validate();
            return;
        }
        var slurmOnly = new List<string>();
        if (submit) slurmOnly.Add("--submit");
        if (slurm.Partition is not null) slurmOnly.Add("--partition");
        if (slurm.GpusPerTask is not null) slurmOnly.Add("--gpus-per-task");
        if (slurm.CpusPerTask is not null) slurmOnly.Add("--cpus-per-task");
        if (slurm.Time is not null) slurmOnly.Add("--time");
        if (slurm.MaxParallel is not null) slurmOnly.Add("--max-parallel");
        if (slurmOnly.Count > 0) throw new ArgumentException($"{string.Join(", ", slurmOnly)} only apply with --slurm");
        if (slurm.Shards is not null && Kind != ReproduceModeKind.Plan) throw new ArgumentException("--shards goes with --plan or --slurm (a shard itself is chosen by --shard I/N)");
        if (slurm.Shards is < 1) throw new ArgumentException($"--shards must be at least 1 (got {slurm.Shards})");
    }
}

/// <summary>The bodies of the sweep modes other than "everything in this process".</summary>
internal static class ReproduceModes
{
    /// <summary>Exit code when <c>--slurm --submit</c> finds no usable Slurm.</summary>
    public const int SlurmUnavailable = 3;

    /// <summary>Runs <paramref name="mode"/> and returns the exit code.</summary>
    public static int Run(IAnsiConsole console, ReproduceMode mode, ExperimentSettings settings, SlurmOptions slurm, bool json, bool submit,
        bool noCalibrate, CancellationToken ct)
    {
        // JSON goes to stdout alone: progress lines then go to stderr.
        Action<string> log = json ? line => Console.Error.WriteLine(line) : line => console.MarkupLine(Markup.Escape(line));
        var runner = new ExperimentRunner(settings, log);
        switch (mode.Kind)
        {
            case ReproduceModeKind.Plan:
                var timing = noCalibrate ? null : new PlanTiming(StepTimeCache.Load(warn: log), Calibrate: true);
                var status = runner.Plan(timing, ct);
                if (json) console.Profile.Out.Writer.WriteLine(PlanOutput.Json(status, slurm.Shards));
                else PlanOutput.Print(console, status, slurm.Shards);
                return 0;
            case ReproduceModeKind.Baselines:
                var b = runner.RunBaselines(ct);
                console.MarkupLine($"baselines: {b.Completed.Count} computed, {b.Skipped.Count} already complete, in [bold]{Markup.Escape(b.Directory)}[/]");
                return 0;
            case ReproduceModeKind.Shard:
                var s = runner.RunShard(mode.Shard!.Value, ct);
                console.MarkupLine($"shard {mode.Shard}: {s.Completed.Count} run(s) done, {s.Skipped.Count} already complete, in [bold]{Markup.Escape(s.Directory)}[/]");
                return 0;
            case ReproduceModeKind.Report:
                var outcome = runner.Report();
                console.Write(ReproduceVerb.ResultsTable(outcome));
                console.MarkupLine($"{outcome.Results.Count} complete run(s); report: [bold]{Markup.Escape(outcome.ReportPath)}[/]");
                return 0;
            case ReproduceModeKind.Slurm:
                return WriteSlurm(console, runner, settings, slurm, submit, log, ct);
            default:
                throw new InvalidOperationException($"mode {mode.Kind} has no body here");
        }
    }

    private static int WriteSlurm(IAnsiConsole console, ExperimentRunner runner, ExperimentSettings settings, SlurmOptions slurm, bool submit,
        Action<string> log, CancellationToken ct)
    {
        // Without --time, the limits come from a cached calibration for the jobs' threads (--threads, else the CPUs per task).
        var status = slurm.Time is null
            ? runner.Plan(new PlanTiming(StepTimeCache.Load(warn: log), Calibrate: false, Threads: settings.Threads ?? slurm.CpusPerTask ?? 1), ct)
            : runner.Plan();
        int shardCount = slurm.Shards ?? Math.Max(1, status.Plan.Runs.Count);
        var times = status.Estimate is SweepEstimate estimate ? SlurmJobTimes.From(estimate, shardCount) : null;
        if (times is not null)
            console.MarkupLine(Markup.Escape($"time limits from the calibrated estimate (× {SlurmJobTimes.Margin.ToString(CultureInfo.InvariantCulture)}, at least " +
                $"{SlurmJobTimes.MinimumMinutes} min): baselines {times.Baselines}, each shard {times.Shards}, report {times.Report}; " +
                $"calibrated for {PlanOutput.Target(status.Estimate!)}; --time overrides"));
        else if (slurm.Time is null)
            console.MarkupLine(Markup.Escape($"no --time: the jobs get the partition's default time limit ({status.EstimateNote})"));
        if (slurm.GpusPerTask is not null && !settings.Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && settings.Device != "auto")
            console.MarkupLine($"[yellow]note:[/] --gpus-per-task with --device {Markup.Escape(settings.Device)}: the jobs get GPUs but train on the CPU; add --device cuda");
        var scripts = SlurmScripts.Write(status.Directory, status.Config.Experiment, ReproduceCommandLine.CurrentExecutable(),
            ReproduceCommandLine.ExperimentArguments(settings, status.RunId), settings.Threads, shardCount, slurm, Environment.CurrentDirectory, times);
        int complete = status.Runs.Count(r => r.State == StepState.Complete);
        console.MarkupLine($"{status.Plan.Runs.Count} run(s) in {shardCount} shard(s), {complete} already complete; Slurm scripts in [bold]{Markup.Escape(scripts.Directory)}[/]:");
        foreach (string f in new[] { scripts.Baselines, scripts.Shards, scripts.Report, scripts.Submit })
            console.MarkupLine("  " + Markup.Escape(f));
        if (!submit)
        {
            console.MarkupLine($"submit with: bash {Markup.Escape(scripts.Submit)}   (or rerun this command with --submit)");
            return 0;
        }
        var jobs = SlurmSubmitter.Submit(scripts);
        console.MarkupLine($"submitted: baselines job [bold]{jobs.Baselines}[/], shards array job [bold]{jobs.Shards}[/] (tasks 0–{shardCount - 1}), report job [bold]{jobs.Report}[/]");
        console.MarkupLine($"follow:     squeue -j {jobs.List}");
        console.MarkupLine($"accounting: sacct -j {jobs.List} --format=JobID,JobName,State,Elapsed,ExitCode");
        console.MarkupLine($"logs:       {Markup.Escape(Path.Combine(scripts.Directory, "logs"))}");
        console.MarkupLine($"report:     {Markup.Escape(Path.Combine(status.Directory, "report.html"))} (when the report job has run)");
        console.MarkupLine("after a failed or cancelled shard, rerun this command: complete runs are skipped, interrupted ones resume");
        return 0;
    }

}
