namespace ECQx.Experiments;

/// <summary>Where one baseline or run of a sweep stands in its results folder.</summary>
public enum StepState
{
    /// <summary>Not started.</summary>
    Pending,
    /// <summary>Claimed by a live process (see <see cref="RunClaim"/>).</summary>
    Running,
    /// <summary>Started and stopped: a checkpoint to resume from, or a claim whose owner is gone.</summary>
    Interrupted,
    /// <summary>Its <c>result.json</c> exists.</summary>
    Complete,
}

/// <summary>The state of one baseline (<c>baseline-&lt;model&gt;</c>) or run of a sweep.</summary>
/// <param name="Name">Baseline or run name.</param>
/// <param name="State">Its state.</param>
public sealed record StepStatus(string Name, StepState State);

/// <summary>What <see cref="ExperimentRunner.Plan"/> reports: the sweep's folder, configuration, plan and the state of each step.</summary>
/// <param name="Directory">The results folder <c>&lt;out&gt;/&lt;experiment&gt;/&lt;run-id&gt;</c>.</param>
/// <param name="RunId">The sweep's run id.</param>
/// <param name="Config">The resolved configuration.</param>
/// <param name="Plan">Baselines and runs with their costs.</param>
/// <param name="Baselines">State of each baseline, in <see cref="SweepPlan.Baselines"/> order.</param>
/// <param name="Runs">State of each run, in <see cref="SweepPlan.Runs"/> order.</param>
public sealed record SweepStatus(string Directory, string RunId, ResolvedConfig Config, SweepPlan Plan,
    IReadOnlyList<StepStatus> Baselines, IReadOnlyList<StepStatus> Runs)
{
    /// <summary>The estimated wall times, when the plan was asked for them and step times were at hand.</summary>
    public SweepEstimate? Estimate { get; init; }

    /// <summary>Why there is no <see cref="Estimate"/> although one was asked for (which calibration is missing, how to get it).</summary>
    public string? EstimateNote { get; init; }
}

/// <summary>What a baseline-only or shard invocation did.</summary>
/// <param name="Directory">The results folder.</param>
/// <param name="RunId">The sweep's run id.</param>
/// <param name="Completed">Baselines or runs computed by this invocation.</param>
/// <param name="Skipped">Baselines or runs that were already complete.</param>
public sealed record SweepProgress(string Directory, string RunId, IReadOnlyList<string> Completed, IReadOnlyList<string> Skipped);
