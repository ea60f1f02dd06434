using System.Globalization;
using System.Net;
using ECQx.Plots;
using ECQx.Results;
using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>
/// Assembles the results page of an experiment (one self-contained HTML file, plotly.js inline): configuration,
/// baselines, the results table, and per model the paper-style figures: accuracy vs sparsity per bit width,
/// accuracy vs ×-factor, ECQ vs ECQx side by side, per-layer sparsity and training curves.
/// </summary>
public static class ExperimentReport
{
    /// <summary>Builds the report (not saved).</summary>
    public static Report Build(ExperimentDefinition def, ResolvedConfig config, bool synthetic, IReadOnlyList<BaselineResult> baselines,
        IReadOnlyList<QuantizationRunResult> results, IReadOnlyDictionary<string, IReadOnlyList<EpochMetrics>> histories, string dir)
    {
        var report = new Report(def.Title + (config.Quick ? " — quick run" : ""));
        if (synthetic)
            report.AddHtml("<p style=\"border:2px solid #c00;padding:8px;color:#c00\"><b>Synthetic data.</b> This quick run had no dataset " +
                           "(no --data-dir), so it trained on generated stand-in data. The numbers below only show that the pipeline works; " +
                           "they say nothing about " + WebUtility.HtmlEncode(def.Name) + ".</p>");
        report.AddParagraph(def.Description);
        report.AddSection("Configuration");
        report.AddTable(new[]
        {
            new { Setting = "data", Value = config.Data },
            new { Setting = "models", Value = string.Join(", ", config.Models) },
            new { Setting = "methods", Value = string.Join(", ", config.Methods) + (config.Methods.Contains("ECQx") ? $" (ECQx relevance: {config.Relevance})" : "") },
            new { Setting = "bit widths", Value = string.Join(", ", config.Bits) },
            new { Setting = "Λ", Value = string.Join(", ", config.Lambdas.Select(l => l.ToString(CultureInfo.InvariantCulture))) },
            new { Setting = "epochs (quantization-aware / FP baseline)", Value = $"{config.Epochs} / {config.BaselineEpochs}" + (config.MaxBatchesPerEpoch is int m ? $", at most {m} batches per quantization-aware epoch" : "") + (config.BaselineMaxBatchesPerEpoch is int mb ? $", at most {mb} per baseline epoch" : "") },
            new { Setting = "batch size, Adam lr, seed", Value = $"{config.BatchSize}, {config.LearningRate.ToString(CultureInfo.InvariantCulture)}, {config.Seed}" },
            new { Setting = "device", Value = config.Device },
            new { Setting = "folder", Value = dir },
        });

        report.AddSection("Results");
        report.AddParagraph("Accuracy is measured on the model decoded from its .ecqx file. Coded bytes are the whole .ecqx file; the ×-factor is the " +
                            "float32 size of the model (4 bytes per element of every non-scalar tensor) divided by it. NNR bytes are the same model as " +
                            "an MPEG NNR bitstream written by ecqx (lossless; NNCodec decodes it). NNCodec bytes, when the sweep ran with NNCodec " +
                            "(--nncodec), are the size as the ECQx reference computes it: NNCodec's bitstream of the levels, its bitstream of the " +
                            "float tensors, and 4 bytes per step size; the paper's ×-factors are this kind (NNR) of factor. Sparsity counts zero " +
                            "weights in the quantized tensors.");
        report.AddTable(TableRows(baselines, results), "All runs");

        foreach (string model in config.Models)
        {
            var rows = results.Where(r => r.Model == model).ToList();
            if (rows.Count == 0) continue;
            var figure = rows.Select(r => new QuantizationResult(r.Method, r.Bits, r.AccuracyPercent, r.SparsityPercent, r.CompressionFactor, r.Lambda)).ToList();
            var baseline = baselines.FirstOrDefault(b => b.Model == model);
            report.AddSection(model);
            if (baseline is not null)
                report.AddParagraph($"Full-precision baseline ({baseline.Source}): {baseline.AccuracyPercent.ToString("F2", CultureInfo.InvariantCulture)} % test accuracy, " +
                                    $"{baseline.Fp32Bytes} bytes as float32, {baseline.Parameters} parameters.");
            report.AddChart(Figures.AccuracyVsSparsity(figure, $"{model}: accuracy vs sparsity"), "Accuracy against sparsity, one line per method and bit width (points: the Λ sweep).");
            report.AddChart(Figures.AccuracyVsCompression(figure, $"{model}: accuracy vs file size"), "Accuracy against the ×-factor (FP32 size / .ecqx file size).");
            if (config.Methods.Contains("ECQ") && config.Methods.Contains("ECQx") && rows.Any(r => r.Method == "ECQ") && rows.Any(r => r.Method == "ECQx"))
                report.AddChart(Figures.MethodsSideBySide(figure, "ECQ", "ECQx", $"{model}: ECQ vs ECQx"), "ECQ (left) and ECQx (right), shared accuracy axis.");

            var pick = Representative(rows);
            var layers = rows.Where(r => r.Bits == pick.Bits && r.Lambda == pick.Lambda)
                .SelectMany(r => r.Layers.Select(l => new LayerValue(l.Layer, r.Method, l.SparsityPercent))).ToList();
            if (layers.Count > 0)
                report.AddChart(Figures.PerLayerBars(layers, "sparsity (%)", $"{model}: sparsity per layer, {pick.Bits} bit, Λ = {pick.Lambda.ToString(CultureInfo.InvariantCulture)}"),
                    "Share of zero weights per quantized tensor.");
            var curves = rows.Where(r => r.Bits == pick.Bits && histories.ContainsKey(r.Run))
                .SelectMany(r => histories[r.Run].Where(h => !double.IsNaN(h.TestAccuracy))
                    .Select(h => new EpochValue($"{r.Method} Λ={r.Lambda.ToString(CultureInfo.InvariantCulture)}", h.Phase == TrainingPhase.Initial ? 0 : h.Epoch, h.TestAccuracy)))
                .ToList();
            if (curves.Count > 0 && curves.GroupBy(c => (c.Series, c.Epoch)).All(g => g.Count() == 1))
                report.AddChart(Figures.MetricPerEpoch(curves, "test accuracy (%)", $"{model}: test accuracy per epoch, {pick.Bits} bit"),
                    "Epoch 0 is the one-shot initial quantization of the baseline (§c.3 step 4).");
        }
        return report;
    }

    /// <summary>The table rows: baselines first, then every run in sweep order.</summary>
    public static IReadOnlyList<ResultsTableRow> TableRows(IReadOnlyList<BaselineResult> baselines, IReadOnlyList<QuantizationRunResult> results)
    {
        bool nncodec = results.Any(r => r.NnCodec is not null); // the baseline's NNCodec columns only when some run has them
        return baselines.Select(b => new ResultsTableRow(b.Model, "FP32", 32, null, Math.Round(b.AccuracyPercent, 2), 0, b.Fp32Bytes, 1, b.Fp32Bytes, 1,
                nncodec ? b.Fp32Bytes : null, nncodec ? 1 : null, ""))
            .Concat(results.Select(r => new ResultsTableRow(r.Model, r.Method, r.Bits, r.Lambda, Math.Round(r.AccuracyPercent, 2),
                Math.Round(r.SparsityPercent, 2), r.CodedBytes, Math.Round(r.CompressionFactor, 2), r.NnrBytes, Math.Round(r.NnrCompressionFactor, 2),
                r.NnCodec?.PaperBytes, r.NnCodecCompressionFactor is double f ? Math.Round(f, 2) : null, r.EcqxFile)))
            .ToList();
    }

    /// <summary>The sweep point shown per layer and per epoch: 4 bit if run (else the largest), and the middle Λ.</summary>
    private static (int Bits, double Lambda) Representative(IReadOnlyList<QuantizationRunResult> rows)
    {
        var bits = rows.Select(r => r.Bits).Distinct().Order().ToList();
        int b = bits.Contains(4) ? 4 : bits[^1];
        var lambdas = rows.Where(r => r.Bits == b).Select(r => r.Lambda).Distinct().Order().ToList();
        return (b, lambdas[lambdas.Count / 2]);
    }
}
