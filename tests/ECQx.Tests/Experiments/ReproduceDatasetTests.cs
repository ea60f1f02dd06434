using ECQx.Experiments;
using ECQx.Tests.Fixtures;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>The gsc and cifar10 quick paths on generated fixture datasets (via --data-dir), on synthesized speech and on synthetic stand-ins.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ReproduceDatasetTests
{
    private static ExperimentOutcome Run(string experiment, string? dataDir, params string[] models)
    {
        var settings = new ExperimentSettings
        {
            Experiment = experiment, Quick = true, OutputRoot = TestPaths.NewTempDir(), DataDirectory = dataDir,
            Bits = new[] { 2 }, Lambdas = new[] { 0.05 }, MaxBatchesPerEpoch = 1, Threads = 1,
            Models = models.Length == 0 ? null : models,
        };
        return new ExperimentRunner(settings).Run();
    }

    private static void AssertComplete(ExperimentOutcome o, string model)
    {
        Assert.Equal(new[] { "ECQ", "ECQx" }, o.Results.Where(r => r.Model == model).Select(r => r.Method));
        foreach (var r in o.Results)
        {
            Assert.Equal(new FileInfo(Path.Combine(o.Directory, r.EcqxFile)).Length, r.CodedBytes);
            Assert.Equal(r.TrainedAccuracyPercent, r.AccuracyPercent);
            Assert.True(r.CompressionFactor > 1, $"{r.Run}: ×{r.CompressionFactor}");
        }
        Assert.True(File.Exists(o.ReportPath));
    }

    [Fact]
    public void SpeechCommandsQuickRunsOnAFixtureTreeGivenAsDataDir()
    {
        string data = TestPaths.NewTempDir();
        SpeechCommandsFixtures.Make(data);

        var o = Run("gsc", data);

        Assert.False(o.Synthetic);
        Assert.Equal(new[] { "mlp_gsc" }, o.Config.Models);
        Assert.StartsWith("Google Speech Commands in " + data, o.Config.Data);
        AssertComplete(o, "mlp_gsc");
        Assert.StartsWith("trained here", o.Baselines.Single().Source);
        Assert.DoesNotContain("Synthetic data.", File.ReadAllText(o.ReportPath));
    }

    [Fact]
    public void Cifar10QuickStartsResNet20FromTheBundledPretrainedWeights()
    {
        string data = TestPaths.NewTempDir();
        CifarFixtures.MakeDataset(data, perTrainFile: 4, testCount: 8);

        var o = Run("cifar10", data, "resnet20");

        Assert.False(o.Synthetic);
        var baseline = o.Baselines.Single();
        Assert.StartsWith("pretrained: ", baseline.Source);
        Assert.EndsWith("resnet20-cifar10.safetensors", baseline.Source);
        Assert.Equal(269_722L, baseline.Parameters); // ResNet20: 0.27 M parameters
        AssertComplete(o, "resnet20");
        Assert.All(o.Results, r => Assert.Equal(20, r.Layers.Count)); // 19 convs + the linear layer (§a.2)
    }

    /// <summary>gsc quick mode without a dataset speaks its corpus with espeak-ng into the dataset store (once) and says so.</summary>
    [ECQx.Tests.Data.EspeakFact]
    public void QuickWithoutADatasetUsesSynthesizedSpeechAndTheReportSaysSo()
    {
        var o = Run("gsc", null);

        Assert.True(o.Synthetic);
        Assert.StartsWith("SYNTHESIZED speech", o.Config.Data);
        Assert.Contains("1152 test clips", o.Config.Data);
        AssertComplete(o, "mlp_gsc");
        Assert.Contains("Synthetic data.", File.ReadAllText(o.ReportPath));
    }
}
