using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>What happened to one step of an experiment (see <see cref="ExperimentProgress"/>).</summary>
public enum ExperimentStage
{
    /// <summary>The step (a baseline or a sweep run) starts.</summary>
    Started,
    /// <summary>The step finished a training epoch (or the initial one-shot quantization); <see cref="ExperimentProgress.Epoch"/> holds its metrics.</summary>
    Epoch,
    /// <summary>The step finished; for a sweep run <see cref="ExperimentProgress.Result"/> holds its result.</summary>
    Completed,
    /// <summary>The step was already complete in the run folder and was not run again.</summary>
    Skipped,
}

/// <summary>One progress report of <see cref="ExperimentRunner"/> (its <see cref="ExperimentRunner.Progress"/> event).</summary>
/// <param name="Index">0-based position of the step among the steps of this call, in the order they are worked on.</param>
/// <param name="Total">Number of steps of this call: baselines and runs (<see cref="ExperimentRunner.Run"/>), baselines (<see cref="ExperimentRunner.RunBaselines"/>) or the shard's runs (<see cref="ExperimentRunner.RunShard"/>).</param>
/// <param name="Step">The step's name: <c>baseline-&lt;model&gt;</c> or the sweep run's name (<see cref="ExperimentRunner.RunName"/>).</param>
/// <param name="Stage">What happened.</param>
/// <param name="Epoch">The epoch's metrics row when <paramref name="Stage"/> is <see cref="ExperimentStage.Epoch"/>.</param>
/// <param name="Result">The run's result when a sweep run completed or was skipped.</param>
public sealed record ExperimentProgress(int Index, int Total, string Step, ExperimentStage Stage, EpochMetrics? Epoch, QuantizationRunResult? Result)
{
    /// <summary>One line for a progress display, e.g. <c>run 3/9 mlp_gsc-ecqx-4bit-lambda0.2: epoch 2, accuracy 81.20 %</c>.</summary>
    public override string ToString()
    {
        string head = $"step {Index + 1}/{Total} {Step}";
        return Stage switch
        {
            ExperimentStage.Started => $"{head}: started",
            ExperimentStage.Epoch when Epoch is { } m => FormattableString.Invariant(
                $"{head}: {(m.Phase == TrainingPhase.Initial ? "initial quantization" : $"epoch {m.Epoch}")}, test accuracy {m.TestAccuracy:F2} %") +
                (m.Phase is TrainingPhase.Initial or TrainingPhase.Quantize ? FormattableString.Invariant($", sparsity {100 * m.QuantizedSparsity:F1} %") : ""),
            ExperimentStage.Completed when Result is { } r => FormattableString.Invariant(
                $"{head}: done, accuracy {r.AccuracyPercent:F2} %, sparsity {r.SparsityPercent:F1} %, {r.CompressionFactor:F1}×"),
            ExperimentStage.Skipped => $"{head}: complete, skipped",
            _ => $"{head}: {Stage.ToString().ToLowerInvariant()}",
        };
    }
}
