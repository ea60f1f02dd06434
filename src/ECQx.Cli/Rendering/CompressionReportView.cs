using System.Globalization;
using ECQx.Coding;
using Spectre.Console;

namespace ECQx.Cli.Rendering;

/// <summary>Renders a <see cref="CompressionReport"/> as Spectre.Console tables.</summary>
internal static class CompressionReportView
{
    internal static void Render(CompressionReport report, string title)
    {
        bool baselines = report.BrotliBytes is not null;
        var layers = new Table().Title(Markup.Escape(title)).Border(TableBorder.Rounded);
        layers.AddColumn("tensor");
        layers.AddColumn("shape");
        layers.AddColumn("storage");
        layers.AddColumn(new TableColumn("bits").RightAligned());
        layers.AddColumn(new TableColumn("sparsity").RightAligned());
        layers.AddColumn(new TableColumn("H bits/w").RightAligned());
        layers.AddColumn(new TableColumn("H bound B").RightAligned());
        layers.AddColumn(new TableColumn("coded B").RightAligned());
        layers.AddColumn(new TableColumn("bits/w").RightAligned());
        if (baselines)
        {
            layers.AddColumn(new TableColumn("brotli B").RightAligned());
            layers.AddColumn(new TableColumn("zstd B").RightAligned());
        }
        foreach (var t in report.Tensors)
        {
            var row = new List<string>
            {
                Markup.Escape(t.Name),
                Markup.Escape(t.Shape),
                t.Storage switch { EcqxStorage.Levels => "levels", EcqxStorage.Float16 => "float16", _ => "raw" },
                t.BitWidth?.ToString(CultureInfo.InvariantCulture) ?? "",
                t.Sparsity is { } s ? s.ToString("P1", CultureInfo.InvariantCulture) : "",
                t.EntropyBitsPerLevel is { } h ? h.ToString("F3", CultureInfo.InvariantCulture) : "",
                t.EntropyBoundBytes is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "",
                t.StoredBytes.ToString("N0", CultureInfo.InvariantCulture),
                t.BitsPerElement.ToString("F3", CultureInfo.InvariantCulture),
            };
            if (baselines)
            {
                row.Add(t.BrotliBytes?.ToString("N0", CultureInfo.InvariantCulture) ?? "");
                row.Add(t.ZstdBytes?.ToString("N0", CultureInfo.InvariantCulture) ?? "");
            }
            layers.AddRow(row.ToArray());
        }
        AnsiConsole.Write(layers);

        var summary = new Table().Title("size report").Border(TableBorder.Rounded);
        summary.AddColumn("quantity");
        summary.AddColumn(new TableColumn("value").RightAligned());
        string Bytes(double v) => v.ToString("N0", CultureInfo.InvariantCulture) + " B";
        summary.AddRow("FP32 model (4 B × non-scalar elements)", Bytes(report.Fp32Bytes));
        summary.AddRow("[bold].ecqx file[/]", "[bold]" + Bytes(report.FileBytes) + "[/]");
        summary.AddRow("[bold]compression factor (FP32 / file)[/]", "[bold]" + report.CompressionFactor.ToString("F2", CultureInfo.InvariantCulture) + "×[/]");
        summary.AddRow("quantized weights", report.LevelElements.ToString("N0", CultureInfo.InvariantCulture) +
            $" ({report.LevelSparsity.ToString("P1", CultureInfo.InvariantCulture)} zero)");
        summary.AddRow("coded levels", Bytes(report.LevelBytes) + (report.LevelElements > 0
            ? $" ({(report.LevelBytes * 8.0 / report.LevelElements).ToString("F3", CultureInfo.InvariantCulture)} bits/weight)" : ""));
        summary.AddRow("zeroth-order entropy bound of the levels", Bytes(report.LevelEntropyBoundBytes) + (report.LevelEntropyBoundBytes > 0
            ? $" (coded/bound {(report.LevelBytes / report.LevelEntropyBoundBytes).ToString("F3", CultureInfo.InvariantCulture)})" : ""));
        int patches = report.Tensors.Sum(t => t.Patches);
        if (patches > 0)
            summary.AddRow("values kept exactly as patches (off-grid rounding, −0.0)", patches.ToString("N0", CultureInfo.InvariantCulture));
        summary.AddRow("other tensors (raw / float16)", Bytes(report.RawBytes));
        summary.AddRow("header, descriptions, checksums", Bytes(report.OverheadBytes));
        if (baselines)
        {
            summary.AddRow("levels with Brotli q11", Bytes(report.BrotliBytes!.Value));
            summary.AddRow("levels with Deflate (smallest)", Bytes(report.DeflateBytes!.Value));
            summary.AddRow("levels with Zstandard 19", Bytes(report.ZstdBytes!.Value));
        }
        AnsiConsole.Write(summary);
    }
}
