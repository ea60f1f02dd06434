using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ECQx.IO;

namespace ECQx.Training;

/// <summary>
/// The per-epoch results of a run, rewritten in full and atomically (via <see cref="AtomicFile"/>) as
/// JSON lines (<c>metrics.jsonl</c>, one <see cref="EpochMetrics"/> per line, histograms included) and
/// CSV (<c>metrics.csv</c>, one row per epoch, per-layer sparsity and entropy as columns).
/// </summary>
public static class MetricsLog
{
    /// <summary>File name of the JSON-lines metrics in a run's output directory.</summary>
    public const string JsonLinesFileName = "metrics.jsonl";

    /// <summary>File name of the CSV metrics in a run's output directory.</summary>
    public const string CsvFileName = "metrics.csv";

    /// <summary>JSON settings used for metrics and checkpoints (camelCase, NaN allowed, enums as strings).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The JSON-lines text of the rows.</summary>
    public static string ToJsonLines(IEnumerable<EpochMetrics> rows)
    {
        var sb = new StringBuilder();
        foreach (var r in rows) sb.Append(JsonSerializer.Serialize(r, Json)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Parses JSON-lines text written by <see cref="ToJsonLines"/>.</summary>
    public static List<EpochMetrics> FromJsonLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, Json) ?? throw new InvalidDataException("empty metrics line"))
            .ToList();

    /// <summary>The CSV text of the rows (invariant culture, round-trippable numbers).</summary>
    public static string ToCsv(IReadOnlyList<EpochMetrics> rows)
    {
        var layerNames = rows.SelectMany(r => r.Layers.Select(l => l.Name)).Distinct().ToList();
        var sb = new StringBuilder("phase,epoch,train_loss,train_accuracy,test_accuracy,network_sparsity,quantized_sparsity,size_estimate_bytes,wall_seconds");
        foreach (var n in layerNames) sb.Append(",sparsity:").Append(n).Append(",entropy:").Append(n);
        sb.Append('\n');
        foreach (var r in rows)
        {
            sb.Append(r.Phase).Append(',').Append(r.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (double v in new[] { r.TrainLoss, r.TrainAccuracy, r.TestAccuracy, r.NetworkSparsity, r.QuantizedSparsity, r.SizeEstimateBytes, r.WallSeconds })
                sb.Append(',').Append(F(v));
            foreach (var n in layerNames)
            {
                var l = r.Layers.FirstOrDefault(x => x.Name == n);
                sb.Append(',').Append(l is null ? "" : F(l.Sparsity)).Append(',').Append(l is null ? "" : F(l.EntropyBits));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Rewrites <c>metrics.jsonl</c> and <c>metrics.csv</c> in <paramref name="directory"/> atomically.</summary>
    public static void Write(string directory, IReadOnlyList<EpochMetrics> rows)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, JsonLinesFileName), ToJsonLines(rows));
        AtomicFile.WriteAllText(Path.Combine(directory, CsvFileName), ToCsv(rows));
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
}
