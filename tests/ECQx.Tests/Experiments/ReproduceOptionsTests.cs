using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

[Collection(GlobalStateCollection.Name)]
public sealed class ReproduceOptionsTests
{
    [Theory]
    [InlineData("unknown experiment 'imagenet'; choose one of primer, gsc, cifar10", "imagenet")]
    [InlineData("bit width 1 is outside 2–8", "primer", "--bits", "1,2")]
    [InlineData("--bits: 'four' is not valid", "primer", "--bits", "four")]
    [InlineData("--bits lists a bit width twice", "primer", "--bits", "2,2")]
    [InlineData("Λ = -0.5 is not a finite number ≥ 0", "primer", "--lambdas", "0.1,-0.5")]
    [InlineData("--lambdas: 'x' is not valid", "primer", "--lambdas", "x")]
    [InlineData("unknown relevance method 'shap'", "primer", "--relevance", "shap")]
    [InlineData("--methods: 'ecq2' is not valid", "primer", "--methods", "ecq,ecq2")]
    [InlineData("experiment 'primer' runs the models mlp_28x28, lenet5; 'resnet20' is not one of them", "primer", "--models", "resnet20")]
    [InlineData("unknown model 'resnet9000'", "cifar10", "--quick", "--models", "resnet9000")]
    [InlineData("--epochs must be ≥ 0", "primer", "--epochs", "-1")]
    [InlineData("--run-id '..' is not a valid folder name", "primer", "--run-id", "..")]
    [InlineData("Unknown device 'tpu'", "primer", "--device", "tpu")]
    public void BadExperimentNamesAndOptionsGiveOneClearError(string expected, params string[] args)
    {
        string outDir = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(args.Concat(new[] { "--out-dir", outDir }).ToArray());
        Assert.Equal(2, exit);
        Assert.Contains("error:", text);
        Assert.Contains(expected, text, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.GetFileSystemEntries(outDir)); // nothing written
    }

    [Fact]
    public void AMissingDatasetOfflineSaysWhatToDownloadAndWhereToPutIt()
    {
        string store = TestPaths.NewTempDir(), outDir = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run("cifar10", "--offline", "--data-store", store, "--out-dir", outDir);
        Assert.Equal(2, exit);
        string flat = text.Replace("\n", "");
        Assert.Contains("Dataset 'cifar10'", flat);
        Assert.Contains("cifar-10-binary.tar.gz", flat);
        Assert.Contains(Path.Combine(store, "downloads"), flat);
    }

    [Fact]
    public void TheDefaultRunIdIsAHashOfTheResultDecidingConfiguration()
    {
        var a = new ResolvedConfig("primer", true, new[] { "mlp_28x28" }, new[] { "ECQ" }, "lrp", new[] { 2 }, new[] { 0.1 }, 1, 1, 3, 3, 64, 1e-3, 808, "d", "cpu", null);
        Assert.Equal(a.DefaultRunId(), (a with { Device = "cuda", Threads = 2 }).DefaultRunId()); // where it runs does not matter
        Assert.NotEqual(a.DefaultRunId(), (a with { Lambdas = new[] { 0.2 } }).DefaultRunId());
        Assert.NotEqual(a.DefaultRunId(), (a with { Seed = 1 }).DefaultRunId());
        Assert.StartsWith("full-", (a with { Quick = false }).DefaultRunId());
        Assert.Matches("^quick-[0-9a-f]{10}$", a.DefaultRunId());
    }
}
