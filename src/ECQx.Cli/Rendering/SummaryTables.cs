using System.Globalization;
using ECQx.Training;
using Spectre.Console;

namespace ECQx.Cli.Rendering;

/// <summary>Final summary tables of training and quantization runs.</summary>
internal static class SummaryTables
{
    /// <summary>One row per metrics row: phase, epoch, accuracies, sparsity, size estimate, wall time.</summary>
    public static Table Epochs(IReadOnlyList<EpochMetrics> history)
    {
        var t = new Table().Title("Epochs");
        foreach (var c in new[] { "phase", "epoch", "train loss", "train acc %", "test acc %", "sparsity %", "network sparsity %", "size est. KiB", "time s" })
            t.AddColumn(new TableColumn(c).RightAligned());
        foreach (var m in history)
            t.AddRow(m.Phase.ToString(), I(m.Epoch), F(m.TrainLoss, "F4"), F(m.TrainAccuracy, "F2"), F(m.TestAccuracy, "F2"),
                F(100 * m.QuantizedSparsity, "F2"), F(100 * m.NetworkSparsity, "F2"), F(m.SizeEstimateBytes / 1024, "F1"), F(m.WallSeconds, "F1"));
        return t;
    }

    /// <summary>One row per quantized tensor: size, bits, step, sparsity, entropy, s_E.</summary>
    public static Table Layers(IReadOnlyList<LayerMetrics> layers)
    {
        var t = new Table().Title("Quantized tensors");
        t.AddColumn("tensor");
        foreach (var c in new[] { "weights", "bits", "step", "sparsity %", "entropy bit", "ECQ sparsity %" })
            t.AddColumn(new TableColumn(c).RightAligned());
        foreach (var l in layers)
            t.AddRow(Markup.Escape(l.Name), I(l.Count), I(l.Bits), l.StepSize.ToString("G6", CultureInfo.InvariantCulture),
                F(100 * l.Sparsity, "F2"), F(l.EntropyBits, "F3"), F(100 * l.EcqSparsity, "F2"));
        long n = layers.Sum(l => l.Count);
        if (n > 0)
            t.AddRow("[bold]all[/]", I(n), "", "", F(100.0 * layers.Sum(l => l.Sparsity * l.Count) / n, "F2"),
                F(layers.Sum(l => l.EntropyBits * l.Count) / n, "F3"), "");
        return t;
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string F(double v, string f) => double.IsNaN(v) ? "—" : v.ToString(f, CultureInfo.InvariantCulture);
}
