using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Cluster;

/// <summary>
/// A quick primer sweep (4 runs) done as baselines + 3 shards + report, in this process one part after another,
/// against the same sweep run in one go: same run ids, same metrics (CPU, one thread, fixed seed).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ShardedSweepTests
{
    internal static ExperimentSettings Settings(string root) => new()
    {
        Experiment = "primer", Quick = true, OutputRoot = root, Bits = new[] { 2, 4 }, Lambdas = new[] { 0.1 }, MaxBatchesPerEpoch = 3, Threads = 1,
    };

    [Fact]
    public void BaselinesThenThreeShardsThenTheReportEqualTheSweepRunInOneProcess()
    {
        var single = new ExperimentRunner(Settings(TestPaths.NewTempDir())).Run();

        var settings = Settings(TestPaths.NewTempDir());
        var log = new List<string>();
        var runner = new ExperimentRunner(settings, log.Add);

        // A shard needs its baseline: without it, a clear error and nothing is run.
        var e = Assert.Throws<InvalidOperationException>(() => runner.RunShard(new SweepShard(0, 3)));
        Assert.Contains("baseline of mlp_28x28", e.Message);
        Assert.Contains("--baselines-only", e.Message);

        var baselines = runner.RunBaselines();
        Assert.Equal(new[] { "baseline-mlp_28x28" }, baselines.Completed);
        var plan = runner.Plan();
        Assert.Equal(StepState.Complete, plan.Baselines.Single().State);
        Assert.All(plan.Runs, r => Assert.Equal(StepState.Pending, r.State));
        Assert.Equal(single.RunId, plan.RunId);

        var shards = Enumerable.Range(0, 3).Select(i => runner.RunShard(new SweepShard(i, 3))).ToList();
        var done = shards.SelectMany(s => s.Completed).ToList();
        Assert.Equal(single.Results.Select(r => r.Run).Order(), done.Order()); // every run once, by exactly one shard
        Assert.All(shards, s => Assert.Empty(s.Skipped));
        Assert.False(File.Exists(Path.Combine(plan.Directory, "results.json"))); // shards leave the shared files to the report
        Assert.All(runner.Plan().Runs, r => Assert.Equal(StepState.Complete, r.State));

        // A shard run again has nothing left to do.
        var again = runner.RunShard(new SweepShard(1, 3));
        Assert.Empty(again.Completed);
        Assert.Equal(shards[1].Completed, again.Skipped);

        var report = runner.Report();
        Assert.Equal(single.Results.Select(r => r.Run), report.Results.Select(r => r.Run));
        Assert.Equal(SweepResultsJson.Comparable(single.Directory), SweepResultsJson.Comparable(report.Directory));
        Assert.True(File.Exists(report.ReportPath));
    }

    [Fact]
    public void AShardKilledMidRunLeavesAClaimThatTheResubmittedShardTakesOverAndResumesFromTheCheckpoint()
    {
        var settings = Settings(TestPaths.NewTempDir());
        var runner = new ExperimentRunner(settings);
        runner.RunBaselines();
        var shard = new SweepShard(0, 2);
        using var cts = new CancellationTokenSource();
        string? interrupted = null;
        // stop the shard's first run right after its initial quantization (its checkpoint is written)
        Assert.ThrowsAny<OperationCanceledException>(() => new ExperimentRunner(settings, line =>
        {
            if (interrupted is null && line.Contains(": initial quantization")) { interrupted = line.Split(':')[0]; cts.Cancel(); }
        }).RunShard(shard, cts.Token));
        string runDir = ExperimentRunner.RunDirectory(runner.Plan().Directory, interrupted!);
        Assert.True(File.Exists(Path.Combine(runDir, "checkpoint.safetensors")));
        Assert.False(File.Exists(Path.Combine(runDir, RunClaim.FileName))); // a cancelled shard releases its claim

        // Killed instead (SIGKILL): its claim stays behind, naming a process that is gone.
        using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sleep", "0.3") { UseShellExecute = false })!)
        {
            var dead = new RunClaimOwner(RunClaim.HostName, p.Id, p.StartTime.ToUniversalTime(), "12_0", DateTime.UtcNow, DateTime.UtcNow, "killed");
            p.WaitForExit();
            File.WriteAllText(Path.Combine(runDir, RunClaim.FileName), System.Text.Json.JsonSerializer.Serialize(dead, ResolvedConfig.Json));
        }
        Assert.Equal(StepState.Interrupted, runner.Plan().Runs.Single(r => r.Name == interrupted).State);

        var log = new List<string>();
        var resumed = new ExperimentRunner(settings, log.Add).RunShard(shard);
        Assert.Contains(interrupted, resumed.Completed);
        Assert.DoesNotContain(log, l => l.StartsWith(interrupted + ": initial quantization", StringComparison.Ordinal)); // resumed, not restarted
        Assert.Contains(log, l => l.StartsWith(interrupted + ": epoch 1", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(runDir, RunClaim.FileName)));

        // Same numbers as that run in an uninterrupted single process.
        var single = new ExperimentRunner(Settings(TestPaths.NewTempDir())).Run();
        var expected = single.Results.Single(r => r.Run == interrupted);
        var actual = runner.Report().Results.Single(r => r.Run == interrupted);
        Assert.Equal((expected.AccuracyPercent, expected.SparsityPercent, expected.CodedBytes), (actual.AccuracyPercent, actual.SparsityPercent, actual.CodedBytes));
    }

    [Fact]
    public void TheReportOfAPartlyDoneSweepShowsTheCompleteRunsAndSaysWhatIsMissing()
    {
        var settings = Settings(TestPaths.NewTempDir());
        var log = new List<string>();
        var runner = new ExperimentRunner(settings, log.Add);
        runner.RunBaselines();
        var shard = runner.RunShard(new SweepShard(0, 3));
        var report = runner.Report();
        Assert.Equal(shard.Completed.Order(), report.Results.Select(r => r.Run).Order());
        Assert.Contains(log, l => l.Contains($"{shard.Completed.Count} of 4 run(s) complete ({4 - shard.Completed.Count} missing"));
    }
}
