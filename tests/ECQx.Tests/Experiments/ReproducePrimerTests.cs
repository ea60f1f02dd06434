using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ECQx.Coding;
using ECQx.Experiments;
using ECQx.Tests.Plots;
using ECQx.Training;
using Xunit;

namespace ECQx.Tests.Experiments;

[Collection(GlobalStateCollection.Name)]
public sealed class ReproducePrimerTests : IClassFixture<PrimerQuickRun>
{
    private readonly PrimerQuickRun _run;

    public ReproducePrimerTests(PrimerQuickRun run) => _run = run;

    private string Dir => _run.Outcome.Directory;

    [Fact]
    public void TheRunFolderHoldsConfigEpochLinesCsvCodedModelsAndReport()
    {
        Assert.Equal(Path.Combine(_run.Root, "primer", _run.Outcome.RunId), Dir);
        Assert.StartsWith("quick-", _run.Outcome.RunId);
        foreach (string f in new[] { "config.json", "epochs.jsonl", "results.csv", "results.json", "report.html" })
            Assert.True(File.Exists(Path.Combine(Dir, f)), $"{f} missing");
        var config = ResolvedConfig.FromJson(File.ReadAllText(Path.Combine(Dir, "config.json")), "config.json");
        Assert.Equal(new[] { 2 }, config.Bits);
        Assert.Equal(new[] { 0.1 }, config.Lambdas);
        Assert.Equal(new[] { "ECQ", "ECQx" }, config.Methods);

        var ecqx = Directory.GetFiles(Path.Combine(Dir, "models"), "*.ecqx").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(new[] { "mlp_28x28-ecq-2bit-lambda0.1.ecqx", "mlp_28x28-ecqx-2bit-lambda0.1.ecqx" }, ecqx);
        foreach (var r in _run.Outcome.Results)
        {
            string runDir = Path.Combine(Dir, "runs", r.Run);
            Assert.True(File.Exists(Path.Combine(runDir, "metrics.jsonl")));
            Assert.True(File.Exists(Path.Combine(runDir, "metrics.csv")));
            Assert.False(File.Exists(Path.Combine(runDir, QuantizationAwareTrainer.CheckpointFileName)), "a complete run keeps no resume checkpoint");
        }

        // epochs.jsonl: the baseline's epoch and each run's initial + one quantization-aware row, tagged with the run.
        var lines = File.ReadAllLines(Path.Combine(Dir, "epochs.jsonl"));
        var runs = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("run").GetString()).ToList();
        Assert.Equal(1, runs.Count(r => r == "baseline-mlp_28x28"));
        foreach (var r in _run.Outcome.Results) Assert.Equal(2, runs.Count(x => x == r.Run));
    }

    [Fact]
    public void TheTablesCodedBytesAreTheEcqxFileSizesAndTheFactorIsFp32OverThem()
    {
        var csv = File.ReadAllLines(Path.Combine(Dir, "results.csv"));
        Assert.Equal(ResultFiles.CsvHeader, csv[0]);
        var header = csv[0].Split(',');
        int col(string name) => Array.IndexOf(header, name);
        var rows = csv.Skip(1).Select(l => l.Split(',')).Where(c => c[col("method")] != "FP32").ToList();
        Assert.Equal(2, rows.Count);
        foreach (var c in rows)
        {
            long coded = long.Parse(c[col("coded_bytes")], CultureInfo.InvariantCulture);
            string file = Path.Combine(Dir, c[col("ecqx_file")]);
            Assert.Equal(new FileInfo(file).Length, coded);
            long fp32 = long.Parse(c[col("fp32_bytes")], CultureInfo.InvariantCulture);
            // LeNet-300-100: 784·300 + 300 + 300·100 + 100 + 100·10 + 10 floats
            Assert.Equal(4L * (784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10), fp32);
            Assert.Equal((double)fp32 / coded, double.Parse(c[col("compression_factor")], CultureInfo.InvariantCulture), 12);
        }
        var html = File.ReadAllText(Path.Combine(Dir, "report.html"));
        foreach (var r in _run.Outcome.Results) Assert.Contains($"<td>{r.CodedBytes}</td>", html);
    }

    [Fact]
    public void TheTablesNnrBytesAreTheNnrFilesWhichHoldTheSameModelAsTheEcqxFile()
    {
        var csv = File.ReadAllLines(Path.Combine(Dir, "results.csv"));
        var header = csv[0].Split(',');
        int col(string name) => Array.IndexOf(header, name);
        foreach (var c in csv.Skip(1).Select(l => l.Split(',')).Where(c => c[col("method")] != "FP32"))
        {
            string ecqxFile = Path.Combine(Dir, c[col("ecqx_file")]);
            string nnrFile = Path.ChangeExtension(ecqxFile, ".nnr");
            long nnr = long.Parse(c[col("nnr_bytes")], CultureInfo.InvariantCulture);
            Assert.Equal(new FileInfo(nnrFile).Length, nnr);
            long fp32 = long.Parse(c[col("fp32_bytes")], CultureInfo.InvariantCulture);
            Assert.Equal((double)fp32 / nnr, double.Parse(c[col("nnr_compression_factor")], CultureInfo.InvariantCulture), 12);
            var fromEcqx = EcqxModelFile.Read(ecqxFile).Tensors.OfType<QuantizedTensor>().ToList();
            var fromNnr = ECQx.Coding.Nnr.NnrModelFile.Read(nnrFile).Tensors.OfType<QuantizedTensor>().ToList();
            Assert.Equal(fromEcqx.Select(q => (q.Name, q.Step, q.BitWidth)), fromNnr.Select(q => (q.Name, q.Step, q.BitWidth)));
            Assert.All(fromEcqx.Zip(fromNnr), p => Assert.True(p.First.Levels.Span.SequenceEqual(p.Second.Levels.Span), $"levels of {p.First.Name} differ"));
        }
        var html = File.ReadAllText(Path.Combine(Dir, "report.html"));
        foreach (var r in _run.Outcome.Results) Assert.Contains($"<td>{r.NnrBytes}</td>", html);
    }

    [ECQx.Tests.Coding.Nnr.NnCodecFact]
    public void WithNnCodecTheTableHasNnCodecsOwnSizesOfEachRunsLevels()
    {
        var csv = File.ReadAllLines(Path.Combine(Dir, "results.csv"));
        var header = csv[0].Split(',');
        int col(string name) => Array.IndexOf(header, name);
        foreach (var c in csv.Skip(1).Select(l => l.Split(',')).Where(c => c[col("method")] != "FP32"))
        {
            long levels = long.Parse(c[col("nncodec_level_bytes")], CultureInfo.InvariantCulture);
            long floats = long.Parse(c[col("nncodec_float_bytes")], CultureInfo.InvariantCulture);
            long total = long.Parse(c[col("nncodec_bytes")], CultureInfo.InvariantCulture);
            Assert.Equal(levels + floats + 4 * 3, total); // three quantized weight matrices, one step each
            long fp32 = long.Parse(c[col("fp32_bytes")], CultureInfo.InvariantCulture);
            Assert.Equal((double)fp32 / total, double.Parse(c[col("nncodec_compression_factor")], CultureInfo.InvariantCulture), 12);

            // NNCodec given the run's levels directly writes a bitstream of exactly that size.
            var quantized = EcqxModelFile.Read(Path.Combine(Dir, c[col("ecqx_file")])).Tensors.OfType<QuantizedTensor>()
                .Select(q => (q.Name, q.Shape.ToArray(), q.Levels.ToArray())).ToList();
            string direct = ECQx.Tests.Coding.Nnr.NnCodec.Encode(TestPaths.NewTempDir(), quantized)[0];
            Assert.Equal(new FileInfo(direct).Length, levels);
        }
        Assert.All(_run.Outcome.Results, r => Assert.NotNull(r.NnCodec));
    }

    [Fact]
    public void AccuracyOfTheDecodedFileEqualsTheTrainedModelsAndSparsityMatchesTheLevels()
    {
        foreach (var r in _run.Outcome.Results)
        {
            Assert.Equal(r.TrainedAccuracyPercent, r.AccuracyPercent); // lossless coding: same predictions
            var levels = EcqxModelFile.Read(Path.Combine(Dir, r.EcqxFile)).Tensors.OfType<ECQx.Coding.QuantizedTensor>().ToList();
            Assert.Equal(3, levels.Count); // the three weight matrices (§a.2: ≥2-D)
            long zeros = levels.Sum(q => (long)q.Levels.Span.ToArray().Count(v => v == 0)), n = levels.Sum(q => q.ElementCount);
            Assert.Equal(100.0 * zeros / n, r.SparsityPercent, 9);
            Assert.All(levels, q => Assert.InRange(q.Levels.Span.ToArray().Max() - q.Levels.Span.ToArray().Min(), 0, 3)); // 2 bit: at most 4 levels
        }
    }

    [Fact]
    public void ARerunSkipsCompletedRunsAndReportsTheSameResults()
    {
        var again = new ExperimentRunner(_run.Settings).Run();
        Assert.Equal(_run.Outcome.RunId, again.RunId);
        Assert.Equal(_run.Outcome.Results.Select(r => r.Run), again.Skipped);
        Assert.Equal(_run.Outcome.Results.Select(r => (r.Run, r.CodedBytes, r.AccuracyPercent)), again.Results.Select(r => (r.Run, r.CodedBytes, r.AccuracyPercent)));

        // the CLI with the same options lands in the same folder and says so
        var (exit, text) = ReproduceCli.Run("primer", "--quick", "--out-dir", _run.Root, "--bits", "2", "--lambdas", "0.1", "--epochs", "1", "--baseline-epochs", "1", "--max-batches", "3", "--threads", "1");
        Assert.True(exit == 0, text);
        Assert.Contains("2 run(s), 2 already complete", text);
        Assert.Contains("mlp_28x28-ecqx-2bit-lambda0.1: complete, skipped", text);
    }

    [Fact]
    public void ARunIdHoldingAnotherConfigurationIsRefused()
    {
        var (exit, text) = ReproduceCli.Run("primer", "--quick", "--out-dir", _run.Root, "--run-id", _run.Outcome.RunId, "--bits", "3", "--lambdas", "0.1");
        Assert.Equal(2, exit);
        Assert.Contains($"run id '{_run.Outcome.RunId}' already holds results of a different configuration", text);
    }

    [ChromiumFact]
    public void TheReportsFiguresRenderInHeadlessChromium()
    {
        string html = File.ReadAllText(_run.Outcome.ReportPath);
        int expected = Regex.Matches(html, "<div id=\"chart-\\d+\"").Count;
        Assert.True(expected >= 5, $"expected the five primer figures, found {expected}"); // sparsity, file size, side by side, per layer, per epoch

        string dom = HeadlessChromium.DumpDom(_run.Outcome.ReportPath);

        var charts = Regex.Matches(dom, "<div id=\"(chart-\\d+)\" class=\"([^\"]*)\"").ToList();
        Assert.Equal(expected, charts.Count);
        for (int i = 0; i < charts.Count; i++)
        {
            Assert.Contains("js-plotly-plot", charts[i].Groups[2].Value);
            string part = i + 1 < charts.Count ? dom[charts[i].Index..charts[i + 1].Index] : dom[charts[i].Index..];
            Assert.Contains("class=\"main-svg\"", part);
            Assert.Matches("class=\"trace (scatter|bars)", part);
        }
        Assert.Contains("<td>ECQx</td>", dom);
    }
}
