using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

[Collection(GlobalStateCollection.Name)]
public sealed class ReproduceResumeTests
{
    [Fact]
    public void AnInterruptedExperimentContinuesWhereItStoppedAndEndsAsAnUninterruptedOne()
    {
        var settings = new ExperimentSettings
        {
            Experiment = "primer", Quick = true, OutputRoot = TestPaths.NewTempDir(), Bits = new[] { 2 }, Lambdas = new[] { 0.1 },
            MaxBatchesPerEpoch = 2, Threads = 1,
        };
        using var cts = new CancellationTokenSource();
        // stop inside the second (ECQx) run, after its one-shot initial quantization
        Assert.ThrowsAny<OperationCanceledException>(() => new ExperimentRunner(settings, line =>
        {
            if (line.StartsWith("mlp_28x28-ecqx-", StringComparison.Ordinal) && line.Contains("initial quantization")) cts.Cancel();
        }).Run(cts.Token));
        string dir = Directory.GetDirectories(Path.Combine(settings.OutputRoot, "primer")).Single();
        Assert.True(File.Exists(Path.Combine(dir, "runs", "mlp_28x28-ecq-2bit-lambda0.1", ExperimentRunner.ResultFileName)));
        Assert.False(File.Exists(Path.Combine(dir, "runs", "mlp_28x28-ecqx-2bit-lambda0.1", ExperimentRunner.ResultFileName)));

        var resumed = new ExperimentRunner(settings).Run();
        Assert.Equal(new[] { "mlp_28x28-ecq-2bit-lambda0.1" }, resumed.Skipped);
        Assert.Equal(2, resumed.Results.Count);

        // the same configuration run in one go elsewhere gives the same numbers (CPU, one thread, fixed seed)
        var straight = new ExperimentRunner(settings with { OutputRoot = TestPaths.NewTempDir() }).Run();
        Assert.Equal(straight.RunId, resumed.RunId);
        Assert.Equal(straight.Results.Select(r => (r.Run, r.CodedBytes, r.AccuracyPercent, r.SparsityPercent)),
                     resumed.Results.Select(r => (r.Run, r.CodedBytes, r.AccuracyPercent, r.SparsityPercent)));
    }
}
