using ECQx.Experiments;
using ECQx.Quantization;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>
/// The runner's progress events, baselines-only runs, the sweep without ECQx at Λ = 0, and ECQx's p and ρ as settings.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ExperimentProgressTests
{
    [Fact]
    public void SweepPlanDropsEcqxAtLambdaZeroOnly()
    {
        var config = new ResolvedConfig("primer", true, new[] { "m" }, new[] { "ECQ", "ECQx" }, "lrp", new[] { 2, 4 }, new[] { 0.0, 0.1 },
            1, 1, 1, 1, 8, 1e-3, 1, "d", "cpu", null);
        var plan = SweepPlan.Create(config, _ => false, _ => 1000, trainCount: 80, testCount: 16);
        Assert.Equal(new[] { "ECQ 2 0", "ECQ 2 0.1", "ECQ 4 0", "ECQ 4 0.1", "ECQx 2 0.1", "ECQx 4 0.1" },
            plan.Runs.Select(p => FormattableString.Invariant($"{p.Method} {p.Bits} {p.Lambda}")));
    }

    [Fact]
    public void BaselinesFirstThenTheSweepReportsEveryStepAndSkipsWhatIsDone()
    {
        var settings = new ExperimentSettings
        {
            Experiment = "primer", Quick = true, OutputRoot = TestPaths.NewTempDir(), Bits = new[] { 2 }, Lambdas = new[] { 0.0, 0.1 },
            MaxBatchesPerEpoch = 1, Epochs = 1, BaselineEpochs = 1, Threads = 1,
        };
        var events = new List<ExperimentProgress>();
        var runner = new ExperimentRunner(settings);
        runner.Progress += (_, p) => events.Add(p);

        var baselines = runner.RunBaselines();
        Assert.Equal(new[] { "baseline-mlp_28x28" }, baselines.Completed);
        Assert.Equal(new[] { ExperimentStage.Started, ExperimentStage.Epoch, ExperimentStage.Completed }, events.Select(e => e.Stage));
        Assert.All(events, e => Assert.Equal((0, 1, "baseline-mlp_28x28"), (e.Index, e.Total, e.Step)));
        var collected = runner.Report();                                     // what a notebook shows before the sweep
        Assert.Empty(collected.Results);
        Assert.Single(collected.Baselines);
        Assert.Single(collected.Histories["baseline-mlp_28x28"]);

        events.Clear();
        var outcome = runner.Run();
        // Baseline skipped; ECQ at Λ 0 and 0.1, ECQx only at 0.1.
        Assert.Equal(new[] { "mlp_28x28-ecq-2bit-lambda0", "mlp_28x28-ecq-2bit-lambda0.1", "mlp_28x28-ecqx-2bit-lambda0.1" }, outcome.Results.Select(r => r.Run));
        Assert.Equal(baselines.Directory, outcome.Directory);
        Assert.Equal((ExperimentStage.Skipped, "baseline-mlp_28x28"), (events[0].Stage, events[0].Step));
        var completed = events.Where(e => e.Stage == ExperimentStage.Completed).ToList();
        Assert.Equal(outcome.Results.Select(r => r.Run), completed.Select(e => e.Step));
        Assert.Equal(new[] { 1, 2, 3 }, completed.Select(e => e.Index));
        Assert.All(events, e => Assert.Equal(4, e.Total));
        Assert.All(completed, e => Assert.NotNull(e.Result));
        Assert.Contains(events, e => e.Stage == ExperimentStage.Epoch && e.Epoch is not null);
        Assert.Contains("step 2/4 mlp_28x28-ecq-2bit-lambda0: done, accuracy", completed[0].ToString());

        events.Clear();
        var again = runner.Run();
        Assert.Equal(3, again.Skipped.Count);
        Assert.All(events, e => Assert.Equal(ExperimentStage.Skipped, e.Stage));
        Assert.Equal(4, events.Count);
    }

    [Fact]
    public void EcqxPAndRhoAreValidatedAndEnterTheRunIdOnlyWhenSet()
    {
        var s = new ExperimentSettings { Experiment = "primer", Quick = true };
        Assert.Contains("p = 1.5", Assert.Throws<ArgumentException>(() => (s with { EcqxP = 1.5 }).Validate()).Message);
        Assert.Contains("ρ = 0", Assert.Throws<ArgumentException>(() => (s with { EcqxRho = 0 }).Validate()).Message);
        var config = new ResolvedConfig("primer", true, new[] { "m" }, new[] { "ECQ" }, "lrp", new[] { 2 }, new[] { 0.1 }, 1, 1, 1, 1, 8, 1e-3, 1, "d", "cpu", null);
        Assert.DoesNotContain("ecqxP", config.ToJson());
        Assert.DoesNotContain("ecqxOptions", config.ToJson(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(EcqxOptions.Default, config.EcqxOptions);
        var tuned = config with { EcqxP = 0.05, EcqxRho = 3 };
        Assert.NotEqual(config.DefaultRunId(), tuned.DefaultRunId());
        Assert.Equal((0.05, 3.0), (tuned.EcqxOptions.P, tuned.EcqxOptions.Rho));
        Assert.Equal(tuned.Identity(), ResolvedConfig.FromJson(tuned.ToJson(), "test").Identity());
    }
}
