using ECQx.Quantization;
using ECQx.Cli.Verbs;
using ECQx.IO;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

[Collection(GlobalStateCollection.Name)]
public class MetricsTests
{
    [Fact]
    public void LayerStatisticsAndSizeEstimateMatchHandComputedValues()
    {
        TorchRuntime.EnsureLoaded();
        // levels {-1, 0, 1, 2}·0.5; tensor holds 4 zeros, 2×0.5, 1×(-0.5), 1×1.0 → P = (1/8, 4/8, 2/8, 1/8)
        using var cb = new Codebook(2, 0.5, -1);
        var w = torch.tensor(new float[] { 0, 0, 0, 0, 0.5f, 0.5f, -0.5f, 1f }).reshape(2, 4);
        var histogram = cb.LevelHistogram(w);
        var l = ModelStatistics.Layer("w", w.numel(), new LayerQuantization(w, 0.6, (double)histogram[cb.ZeroIndex] / w.numel(), histogram), cb);
        Assert.Equal(new long[] { 1, 4, 2, 1 }, l.Histogram);
        Assert.Equal(0.5, l.Sparsity);
        Assert.Equal((0.6, 0.5, 2), (l.EcqSparsity, l.StepSize, l.Bits));
        double h = -(2 * 0.125 * Math.Log2(0.125) + 0.5 * Math.Log2(0.5) + 0.25 * Math.Log2(0.25)); // 1.75 bit
        Assert.Equal(h, l.EntropyBits, 12);
        var state = new Dictionary<string, Tensor>
        {
            ["w"] = w, ["bias"] = torch.tensor(new float[] { 0, 1, 2 }), ["count"] = torch.tensor(7L), ["steps"] = torch.zeros(new long[] { 2 }, dtype: int64),
        };
        // 8·1.75/8 = 1.75 bytes + 3 floats·4 + one step size·4; int buffers and scalars are not counted
        Assert.Equal(1.75 + 12 + 4, ModelStatistics.SizeEstimateBytes(state, new[] { l }), 12);
        // network sparsity over non-scalar float tensors: zeros 4 (w) + 1 (bias) of 11
        Assert.Equal(5.0 / 11, ModelStatistics.NetworkSparsity(state), 12);
    }

    [Fact]
    public void MetricsRoundTripThroughJsonLinesAndCsvHasOneRowPerEpoch()
    {
        var rows = new List<EpochMetrics>
        {
            new(TrainingPhase.Initial, 0, double.NaN, double.NaN, 91.25, 0.4, 0.45, 12345.5, 0.1,
                new[] { new LayerMetrics("a.weight", 10, 0.3, 1.5, new long[] { 3, 3, 4 }, 0.35, 0.1 / 3, 4) }),
            new(TrainingPhase.Quantize, 1, 0.123456789, 88.5, 90.75, 0.41, 0.46, 12000.25, 2.5,
                new[] { new LayerMetrics("a.weight", 10, 0.4, 1.25, new long[] { 2, 4, 4 }, 0.45, 0.1 / 3, 4) }),
        };
        var back = MetricsLog.FromJsonLines(MetricsLog.ToJsonLines(rows));
        Assert.Equal(2, back.Count);
        Assert.True(double.IsNaN(back[0].TrainLoss));
        Assert.Equal(rows[1].TrainLoss, back[1].TrainLoss);
        Assert.Equal(0.1 / 3, back[1].Layers[0].StepSize);
        Assert.Equal(rows[1].Layers[0].Histogram, back[1].Layers[0].Histogram);
        var csv = MetricsLog.ToCsv(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, csv.Length);
        Assert.Contains("sparsity:a.weight", csv[0]);
        Assert.StartsWith("Quantize,1,0.123456789,88.5,90.75", csv[2]);
    }

    [Fact]
    public void QuantizedStateDictMetadataRoundTripsStepsExactly()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "q.safetensors");
        double step = 0.1 / 7;
        using var cb = new Codebook(4, step, -8);
        var cbs = new Dictionary<string, Codebook> { ["conv.weight"] = cb };
        QuantizedStateDict.Save(path, new Dictionary<string, Tensor> { ["conv.weight"] = torch.zeros(2, 2) }, cbs);
        using var doc = SafeTensors.Load(path);
        Assert.Equal((step, 4), QuantizedStateDict.Read(doc.Metadata, "conv.weight"));
        Assert.Null(QuantizedStateDict.Read(doc.Metadata, "other"));
    }

    [Fact]
    public void BadTrainerOptionsNameTheOption()
    {
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => new TrainerOptions { BatchSize = 0 }.Validate()).Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new TrainerOptions { LearningRate = -1 }.Validate()).Message);
        Assert.Contains("epochs", Assert.Throws<ArgumentException>(() => new TrainerOptions { Epochs = -2 }.Validate()).Message);
        Assert.Contains("resume", Assert.Throws<ArgumentException>(() => new TrainerOptions { Resume = true }.Validate()).Message);
        var model = TrainingFixtures.Mlp(1);
        Assert.Contains("dataset", Assert.Throws<ArgumentException>(() => new QuantizationAwareTrainer(model, null, new TrainerOptions { Epochs = 1 })).Message);
    }

    [Fact]
    public void TrainVerbTrainsTheFullPrecisionBaselineOnSyntheticData()
    {
        string dir = TestPaths.NewTempDir();
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        int exit = new TrainVerb().Build(console).Parse(new[] { "--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "2", "--batch-size", "128",
            "--threads", "1", "--out-dir", dir, "--lr", "0.01" }).Invoke();
        Assert.True(exit == 0, writer.ToString());
        var rows = MetricsLog.FromJsonLines(File.ReadAllText(Path.Combine(dir, "metrics.jsonl")));
        Assert.Equal(2, rows.Count);
        Assert.True(rows[^1].TestAccuracy > 90, $"accuracy {rows[^1].TestAccuracy}");
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, QuantizationAwareTrainer.BestModelFileName)));
    }
}
