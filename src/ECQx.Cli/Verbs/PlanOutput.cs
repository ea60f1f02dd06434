using System.Globalization;
using System.Text.Json;
using ECQx.Experiments;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>What <c>ecqx reproduce --plan</c> prints: the table (or JSON) of baselines and runs, with estimated wall times when calibrated.</summary>
internal static class PlanOutput
{
    /// <summary>The plan as a table, the shards' and the sweep's estimated times, and what the estimate was calibrated for.</summary>
    public static void Print(IAnsiConsole console, SweepStatus status, int? shards)
    {
        var assignment = shards is int n ? status.Plan.ShardAssignment(n) : null;
        var estimate = status.Estimate;
        var t = new Table().Title($"{status.Config.Experiment} / {status.RunId}");
        foreach (var c in new[] { "step", "model", "method", "bits", "Λ", "est. cost" }) t.AddColumn(c);
        if (estimate is not null) t.AddColumn("est. time");
        t.AddColumn("depends on");
        if (assignment is not null) t.AddColumn("shard");
        t.AddColumn("state");
        for (int i = 0; i < status.Plan.Baselines.Count; i++)
        {
            var b = status.Plan.Baselines[i];
            var row = new List<string> { Markup.Escape(status.Baselines[i].Name), Markup.Escape(b.Model), b.Pretrained ? "FP32 (pretrained)" : "FP32 (trained)", "32", "",
                Cost(b.EstimatedCost) };
            if (estimate is not null) row.Add(Duration(estimate.BaselineSeconds[b.Model]));
            row.Add("");
            if (assignment is not null) row.Add("before all");
            row.Add(status.Baselines[i].State.ToString().ToLowerInvariant());
            t.AddRow(row.ToArray());
        }
        for (int i = 0; i < status.Plan.Runs.Count; i++)
        {
            var r = status.Plan.Runs[i];
            var row = new List<string> { Markup.Escape(r.Name), Markup.Escape(r.Model), r.Method, r.Bits.ToString(CultureInfo.InvariantCulture),
                r.Lambda.ToString(CultureInfo.InvariantCulture), Cost(r.EstimatedCost) };
            if (estimate is not null) row.Add(Duration(estimate.RunSeconds[r.Name]));
            row.Add(Markup.Escape(ExperimentRunner.BaselineName(r.Model)));
            if (assignment is not null) row.Add(assignment[r.Name].ToString(CultureInfo.InvariantCulture));
            row.Add(status.Runs[i].State.ToString().ToLowerInvariant());
            t.AddRow(row.ToArray());
        }
        console.Write(t);
        var counts = status.Runs.GroupBy(r => r.State).ToDictionary(g => g.Key, g => g.Count());
        int Count(StepState s) => counts.GetValueOrDefault(s);
        console.MarkupLine($"{status.Plan.Runs.Count} run(s): {Count(StepState.Complete)} complete, {Count(StepState.Running)} running, " +
                           $"{Count(StepState.Interrupted)} interrupted, {Count(StepState.Pending)} pending; " +
                           $"baselines: {status.Baselines.Count(b => b.State == StepState.Complete)} of {status.Baselines.Count} complete");
        console.MarkupLine($"results folder: [bold]{Markup.Escape(status.Directory)}[/] (est. cost: training batches × million parameters, ECQx ×2)");
        if (estimate is not null)
        {
            if (shards is int count)
            {
                var seconds = estimate.ShardSeconds(count);
                for (int s = 0; s < count; s++)
                    console.MarkupLine($"shard {s}/{count}: {assignment!.Values.Count(v => v == s)} run(s), est. time {Duration(seconds[s])}");
            }
            console.MarkupLine($"est. time of the whole sweep in one process: [bold]{Duration(estimate.TotalSeconds)}[/] " +
                               $"(baselines {Duration(estimate.BaselinesTotalSeconds)}, runs {Duration(estimate.RunsTotalSeconds)}; every epoch, early stopping may end runs sooner)");
            console.MarkupLine(Markup.Escape("calibrated for " + Target(estimate)));
        }
        else if (status.EstimateNote is string note) console.MarkupLine("[yellow]no time estimate:[/] " + Markup.Escape(note));
    }

    /// <summary>
    /// The plan as JSON (camelCase): folder, run id, shard count, baselines and runs with cost, estimated seconds (null
    /// without a calibration), dependency, shard and state; the shards' and the sweep's estimated seconds and the calibration.
    /// </summary>
    public static string Json(SweepStatus status, int? shards)
    {
        var assignment = shards is int n ? status.Plan.ShardAssignment(n) : null;
        var e = status.Estimate;
        var doc = new
        {
            experiment = status.Config.Experiment,
            runId = status.RunId,
            directory = status.Directory,
            shards,
            estimatedSeconds = e?.TotalSeconds,
            shardEstimatedSeconds = e is not null && shards is int count ? e.ShardSeconds(count) : null,
            calibration = e is null ? null : new { machine = e.Target.Machine, device = e.Target.Device, threads = e.Target.Threads, measuredAt = e.MeasuredAt },
            estimateNote = status.EstimateNote,
            baselines = status.Plan.Baselines.Select((b, i) => new
            {
                name = status.Baselines[i].Name, model = b.Model, pretrained = b.Pretrained, estimatedCost = b.EstimatedCost,
                estimatedSeconds = e?.BaselineSeconds[b.Model],
                state = status.Baselines[i].State.ToString().ToLowerInvariant(),
            }),
            runs = status.Plan.Runs.Select((r, i) => new
            {
                name = r.Name, model = r.Model, method = r.Method, bits = r.Bits, lambda = r.Lambda, estimatedCost = r.EstimatedCost,
                estimatedSeconds = e?.RunSeconds[r.Name],
                dependsOn = ExperimentRunner.BaselineName(r.Model), shard = assignment?[r.Name],
                state = status.Runs[i].State.ToString().ToLowerInvariant(),
            }),
        };
        return JsonSerializer.Serialize(doc, ResolvedConfig.Json);
    }

    /// <summary><paramref name="seconds"/> rounded up to whole seconds as <c>h:mm:ss</c> (hours past 24 stay hours).</summary>
    public static string Duration(double seconds)
    {
        long total = (long)Math.Ceiling(Math.Max(0, seconds));
        return $"{total / 3600}:{total / 60 % 60:00}:{total % 60:00}";
    }

    /// <summary>"device, N thread(s) on machine, measured date".</summary>
    public static string Target(SweepEstimate e) =>
        $"{e.Target.Device}, {e.Target.Threads} thread(s) on {e.Target.Machine}, measured {SweepEstimate.Date(e.MeasuredAt)}";

    private static string Cost(double c) => c.ToString(c >= 100 ? "F0" : c >= 1 ? "F1" : "G3", CultureInfo.InvariantCulture);
}
