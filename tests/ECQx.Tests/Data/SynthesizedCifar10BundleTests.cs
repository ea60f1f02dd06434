using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ECQx.Data.Cifar;
using ECQx.Data.StandIn;
using ECQx.Data.Synthesis;
using ECQx.Experiments;
using ECQx.Models;
using ECQx.Training;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

/// <summary>
/// The bundled synthesized CIFAR-10 set (data/cifar10-synthesized): found like every bundled file, loads with <see cref="Cifar10.Load"/>,
/// resolves a 0.5-point tolerance (≥ 1,000 test images), is labelled by the bundled pretrained ResNet20 (agreement 100 % on both
/// splits), names that network's SHA-256 in its marker, has the content its README records, and is what cifar10 quick mode uses.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed partial class SynthesizedCifar10BundleTests
{
    private static string BatchDirectory => Cifar10Binary.ResolveBatchDirectory(
        BundledFiles.Require(BundledFiles.SynthesizedCifar10, "The bundled synthesized CIFAR-10 set"));

    [Fact]
    public void TheBundledSetLoadsWithAtLeastAThousandTestImagesAndNamesTheBundledNetwork()
    {
        string dir = BatchDirectory;
        Assert.True(SynthesizedCifar10.IsSynthesized(dir));
        Assert.True(StandInData.IsStandIn(dir));
        string weightsHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestPaths.PretrainedResNet20)));
        string marker = SynthesizedCifar10.MarkerText(dir)!;
        Assert.Contains($"sha256 {weightsHash}", marker);
        Assert.Contains("1024 test", marker.Replace(",", "", StringComparison.Ordinal));
        using var splits = Cifar10.Load(dir, new Cifar10Options { BatchSize = 256, TrainAugmentation = null });
        Assert.True(splits.Test.Count >= 1000, $"{splits.Test.Count} test images");
        Assert.Equal(512, splits.Train.Count);
    }

    [Fact]
    public void ThePretrainedResNet20AgreesWithEveryLabelOfBothSplits()
    {
        using var splits = Cifar10.Load(BatchDirectory, new Cifar10Options { BatchSize = 256, TrainAugmentation = null });
        using var model = ModelZoo.Create("resnet20", 10, CPU, 0);
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.eval();
        Assert.Equal(100.0, ModelEvaluation.Accuracy(model, splits.Test));
        Assert.Equal(100.0, ModelEvaluation.Accuracy(model, splits.Train));
        // ...and a randomly initialised ResNet20 does not: the labels are the pretrained network's, not an artefact of the format.
        using var untrained = ModelZoo.Create("resnet20", 10, CPU, 1);
        untrained.eval();
        Assert.InRange(ModelEvaluation.Accuracy(untrained, splits.Test), 0, 50);
    }

    [Fact]
    public void EveryFileHasTheSha256ItsReadmeRecords()
    {
        string root = BundledFiles.Require(BundledFiles.SynthesizedCifar10, "The bundled synthesized CIFAR-10 set");
        var recorded = RecordedHash().Matches(File.ReadAllText(Path.Combine(root, "README.md")))
            .ToDictionary(m => m.Groups["file"].Value, m => m.Groups["hash"].Value);
        var files = Cifar10Binary.TrainFiles.Append(Cifar10Binary.TestFile).Select(f => Cifar10Binary.ArchiveDirectory + "/" + f).ToList();
        Assert.All(files, f => Assert.True(recorded.ContainsKey(f), $"README records no SHA-256 for {f}"));
        foreach (string f in files)
            Assert.Equal(recorded[f], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, f)))));
    }

    [Fact]
    public void Cifar10QuickModeWithoutADataFolderUsesTheBundledSynthesizedSet()
    {
        var settings = new ExperimentSettings { Experiment = "cifar10", Quick = true, OutputRoot = TestPaths.NewTempDir() };
        using var data = new Cifar10Experiment().LoadData(settings, 16, CPU, null);
        Assert.StartsWith("SYNTHESIZED from the pretrained ResNet20", data.Description);
        Assert.Contains("top-1 agreement", data.Description);
        Assert.True(data.Synthetic);
        Assert.True(data.Splits.Test.Count >= 1000);
    }

    [GeneratedRegex(@"^(?<hash>[0-9a-f]{64})  (?<file>\S+)$", RegexOptions.Multiline)]
    private static partial Regex RecordedHash();
}
