using ECQx.Cli.Verbs;
using ECQx.Data.Cifar;
using ECQx.Data.Synthesis;
using Xunit;

namespace ECQx.Tests.Data;

/// <summary><c>ecqx data synthesize</c> through the real command-line parser: a tiny set from the bundled ResNet20, and bad input.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class DataSynthesizeCliTests
{
    [Fact]
    public void SynthesizeWritesALoadableMarkedSetWhereOutSays()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "syn");
        var (code, output) = DataVerbTests.Run("data", "synthesize", "cifar10", "--count", "4", "--train-count", "6", "--batch-size", "5",
            "--iterations", "2", "--workers", "2", "--out", outDir);
        Assert.True(code == 0, output);
        Assert.Contains("step 2/2", output);
        Assert.True(SynthesizedCifar10.IsSynthesized(outDir));
        Assert.Contains("6 train / 4 test", SynthesizedCifar10.MarkerText(outDir));
        using var splits = Cifar10.Load(outDir);
        Assert.Equal(4, splits.Test.Count);
        Assert.Equal(6, splits.Train.Count);
    }

    [Theory]
    [InlineData("Iterations", "cifar10", "--iterations", "0")]
    [InlineData("BatchSize", "cifar10", "--batch-size", "1")]
    public void BadInputIsAnErrorNamingIt(string expected, params string[] args)
    {
        var (code, output) = DataVerbTests.Run(["data", "synthesize", .. args, "--out", TestPaths.NewTempDir()]);
        Assert.Equal(CliRun.BadInput, code);
        Assert.Contains(expected, output);
    }
}
