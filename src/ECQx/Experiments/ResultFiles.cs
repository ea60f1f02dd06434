using System.Globalization;
using System.Text;
using System.Text.Json;
using ECQx.IO;
using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>
/// The summary files of a results folder, rewritten atomically after every run: <c>results.csv</c> (one row per
/// baseline and quantization run), <c>results.json</c> (the same with per-layer detail) and <c>epochs.jsonl</c>
/// (every run's per-epoch metrics, one JSON object per line with the run name).
/// </summary>
public static class ResultFiles
{
    /// <summary>The CSV header of <c>results.csv</c>.</summary>
    public const string CsvHeader = "model,method,relevance,bits,lambda,epochs,accuracy_percent,trained_accuracy_percent,sparsity_percent,coded_bytes,fp32_bytes,compression_factor,entropy_bound_bytes,nnr_bytes,nnr_compression_factor,nncodec_level_bytes,nncodec_float_bytes,nncodec_bytes,nncodec_compression_factor,ecqx_file,wall_seconds";

    /// <summary>Writes the three summary files into <paramref name="dir"/>.</summary>
    public static void Write(string dir, IReadOnlyList<BaselineResult> baselines, IReadOnlyList<QuantizationRunResult> results,
        IReadOnlyDictionary<string, IReadOnlyList<EpochMetrics>> histories)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, "results.csv"), ToCsv(baselines, results));
        AtomicFile.WriteAllText(Path.Combine(dir, "results.json"),
            JsonSerializer.Serialize(new { baselines, results }, ResolvedConfig.Json));
        var sb = new StringBuilder();
        var compact = new JsonSerializerOptions(MetricsLog.Json) { WriteIndented = false };
        foreach (var (run, rows) in histories.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            foreach (var row in rows)
                sb.Append(JsonSerializer.Serialize(new { run, metrics = row }, compact)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, "epochs.jsonl"), sb.ToString());
    }

    /// <summary>
    /// The text of <c>results.csv</c> (invariant culture; baselines have method FP32, bit width 32, their FP32 size as coded and
    /// NNR bytes and no file; the <c>nncodec_*</c> columns are empty for runs made without NNCodec).
    /// </summary>
    public static string ToCsv(IReadOnlyList<BaselineResult> baselines, IReadOnlyList<QuantizationRunResult> results)
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var b in baselines)
            sb.AppendJoin(',', b.Model, "FP32", "", "32", "", "", F(b.AccuracyPercent), "", "0", b.Fp32Bytes.ToString(CultureInfo.InvariantCulture),
                b.Fp32Bytes.ToString(CultureInfo.InvariantCulture), "1", "",
                b.Fp32Bytes.ToString(CultureInfo.InvariantCulture), "1", "", "", "", "", "", F(b.WallSeconds)).Append('\n');
        foreach (var r in results)
            sb.AppendJoin(',', r.Model, r.Method, Csv(r.Relevance ?? ""), r.Bits.ToString(CultureInfo.InvariantCulture), F(r.Lambda),
                r.EpochsRun.ToString(CultureInfo.InvariantCulture), F(r.AccuracyPercent), F(r.TrainedAccuracyPercent), F(r.SparsityPercent),
                r.CodedBytes.ToString(CultureInfo.InvariantCulture), r.Fp32Bytes.ToString(CultureInfo.InvariantCulture), F(r.CompressionFactor),
                F(r.EntropyBoundBytes), r.NnrBytes.ToString(CultureInfo.InvariantCulture), F(r.NnrCompressionFactor),
                L(r.NnCodec?.LevelBytes), L(r.NnCodec?.FloatBytes), L(r.NnCodec?.PaperBytes), F(r.NnCodecCompressionFactor ?? double.NaN),
                Csv(r.EcqxFile), F(r.WallSeconds)).Append('\n');
        return sb.ToString();
    }

    private static string L(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Csv(string s) => s.IndexOfAny(new[] { ',', '"', '\n' }) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
