using System.Text.Json;
using ECQx.IO;
using ECQx.Training;

namespace ECQx.Experiments;

/// <summary>
/// The sweep's files on disk: each step's <c>result.json</c> and metrics, and the shared summary files
/// (<c>results.csv</c>, <c>results.json</c>, <c>epochs.jsonl</c>, <c>report.html</c>) rebuilt from the complete steps.
/// </summary>
internal static class SweepSummaries
{
    /// <summary>
    /// Collects every complete baseline and run of the sweep's folder (runs in sweep order) and rewrites the summary files
    /// and the report from them, atomically: whichever process writes them, they describe what is on disk.
    /// </summary>
    public static ExperimentOutcome Write(OpenedSweep sweep, IReadOnlyList<string>? skipped = null)
    {
        var baselines = new List<BaselineResult>();
        var results = new List<QuantizationRunResult>();
        var histories = new Dictionary<string, IReadOnlyList<EpochMetrics>>(StringComparer.Ordinal);
        foreach (var b in sweep.Plan.Baselines)
        {
            string bdir = ExperimentRunner.BaselineDirectory(sweep.Directory, b.Model);
            string path = Path.Combine(bdir, ExperimentRunner.ResultFileName);
            if (!File.Exists(path)) continue;
            baselines.Add(ReadJson<BaselineResult>(path));
            histories[ExperimentRunner.BaselineName(b.Model)] = ReadHistory(bdir);
        }
        foreach (var run in sweep.Plan.Runs)
        {
            string rdir = ExperimentRunner.RunDirectory(sweep.Directory, run.Name);
            string path = Path.Combine(rdir, ExperimentRunner.ResultFileName);
            if (!File.Exists(path)) continue;
            results.Add(ReadJson<QuantizationRunResult>(path));
            histories[run.Name] = ReadHistory(rdir);
        }
        ResultFiles.Write(sweep.Directory, baselines, results, histories);
        string report = ExperimentReport.Build(sweep.Definition, sweep.Config, sweep.Data.Synthetic, baselines, results, histories, sweep.Directory)
            .Save(Path.Combine(sweep.Directory, "report.html"));
        return new ExperimentOutcome(sweep.Directory, sweep.RunId, sweep.Config, sweep.Data.Synthetic, baselines, results,
            skipped ?? Array.Empty<string>(), report, histories);
    }

    /// <summary>A step's metrics rows (<c>metrics.jsonl</c>), empty when it has none.</summary>
    public static IReadOnlyList<EpochMetrics> ReadHistory(string stepDir)
    {
        string path = Path.Combine(stepDir, MetricsLog.JsonLinesFileName);
        return File.Exists(path) ? MetricsLog.FromJsonLines(File.ReadAllText(path)) : Array.Empty<EpochMetrics>();
    }

    /// <summary>Reads a result file; a damaged one is an <see cref="InvalidDataException"/> naming it.</summary>
    public static T ReadJson<T>(string path)
    {
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path), ResolvedConfig.Json) ?? throw new InvalidDataException($"{path}: empty result"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid result file ({e.Message}); delete it to rerun that step", e); }
    }

    /// <summary>Writes a result file atomically.</summary>
    public static void WriteJson<T>(string path, T value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, ResolvedConfig.Json));
}
