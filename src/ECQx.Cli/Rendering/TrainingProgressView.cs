using System.Globalization;
using ECQx.Training;
using Spectre.Console;

namespace ECQx.Cli.Rendering;

/// <summary>
/// Runs a trainer under a Spectre.Console progress display: one bar per epoch whose description shows the live
/// loss, training accuracy and quantized sparsity; a line per finished epoch; a note per checkpoint.
/// </summary>
internal static class TrainingProgressView
{
    /// <summary>Runs <paramref name="trainer"/> and returns its result, rendering progress on <paramref name="console"/>.</summary>
    public static TrainingResult Run(IAnsiConsole console, QuantizationAwareTrainer trainer, CancellationToken ct)
    {
        TrainingResult? result = null;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                (TrainingPhase, int) current = default;
                void OnBatch(object? _, BatchProgress p)
                {
                    if (task is null || current != (p.Phase, p.Epoch))
                    {
                        task?.StopTask();
                        current = (p.Phase, p.Epoch);
                        task = ctx.AddTask(Describe(p), maxValue: p.BatchesInEpoch);
                    }
                    task.Value = p.Batch + 1;
                    task.Description = Describe(p);
                }
                void OnEpoch(object? _, EpochMetrics m)
                {
                    task?.StopTask();
                    task = null;
                    console.MarkupLine(Markup.Escape(FormatEpoch(m)));
                }
                void OnCheckpoint(object? _, CheckpointWritten c) =>
                    console.MarkupLine($"[grey]checkpoint: {Markup.Escape(c.Path)} ({c.Phase} epoch {c.Epoch}, batch {c.NextBatch})[/]");
                trainer.BatchCompleted += OnBatch;
                trainer.EpochCompleted += OnEpoch;
                trainer.CheckpointSaved += OnCheckpoint;
                try { result = trainer.Run(ct); }
                finally
                {
                    trainer.BatchCompleted -= OnBatch;
                    trainer.EpochCompleted -= OnEpoch;
                    trainer.CheckpointSaved -= OnCheckpoint;
                }
            });
        return result!;
    }

    private static string Describe(BatchProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Phase} {p.Epoch} loss {p.EpochLoss:F4} acc {p.EpochAccuracy:F2}%{(p.Phase == TrainingPhase.Quantize ? $" sparsity {100 * p.QuantizedSparsity:F1}%" : "")}");

    /// <summary>One line summarising an epoch.</summary>
    public static string FormatEpoch(EpochMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Phase} epoch {m.Epoch}: test acc {Num(m.TestAccuracy, "F2")}%, train loss {Num(m.TrainLoss, "F4")}, " +
        $"sparsity {100 * m.QuantizedSparsity:F2}% (network {100 * m.NetworkSparsity:F2}%), size ≈ {m.SizeEstimateBytes / 1024:F1} KiB, {m.WallSeconds:F1} s");

    private static string Num(double v, string format) => double.IsNaN(v) ? "—" : v.ToString(format, CultureInfo.InvariantCulture);
}
