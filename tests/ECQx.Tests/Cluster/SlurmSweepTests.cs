using System.Diagnostics;
using System.Text.Json;
using ECQx.Experiments;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Cluster;

/// <summary>
/// <c>ecqx reproduce primer --quick --slurm --submit</c> on a real one-node Slurm cluster (<see cref="SlurmTestCluster"/>):
/// the chain baselines → array of 3 shards → report runs to completion, a shard cancelled with <c>scancel</c> mid-run is
/// finished by the resubmitted chain, and both merged results equal a single-process run of the same sweep. The ecqx
/// processes are real (<c>dotnet ECQx.Cli.dll</c>), started by Slurm from the scripts the command wrote.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class SlurmSweepTests : IClassFixture<SlurmTestCluster>, IClassFixture<SlurmSweepTests.SingleProcessQuickPrimer>
{
    // Eight short runs (2 and 4 bit × two Λ × ECQ/ECQx, 8 batches each): enough to spread over three shards, cheap on one thread.
    private static readonly string[] QuickPrimer = { "reproduce", "primer", "--quick", "--threads", "1", "--bits", "2,4", "--lambdas", "0.1,0.4", "--epochs", "1", "--baseline-epochs", "1", "--max-batches", "8" };
    private static readonly TimeSpan ChainTimeout = TimeSpan.FromMinutes(8);
    private readonly SlurmTestCluster _cluster;
    private readonly SingleProcessQuickPrimer _single;
    private readonly ITestOutputHelper _out;

    public SlurmSweepTests(SlurmTestCluster cluster, SingleProcessQuickPrimer single, ITestOutputHelper output)
    {
        _cluster = cluster;
        _single = single;
        _out = output;
    }

    /// <summary>The quick primer run in one process by the same ecqx build (the reference for the merged results).</summary>
    public sealed class SingleProcessQuickPrimer : IDisposable
    {
        private readonly Lazy<(string Folder, string Json, TimeSpan Wall)> _run;
        private readonly string _root = TestPaths.NewTempDir();

        public SingleProcessQuickPrimer() => _run = new(() =>
        {
            var sw = Stopwatch.StartNew();
            var (exit, output) = Shell.Run(Shell.Ecqx().Concat(QuickPrimer).Concat(new[] { "--out-dir", _root }).ToArray(), null, TimeSpan.FromMinutes(10));
            if (exit != 0) throw new InvalidOperationException($"single-process quick primer failed (exit {exit}): {output}");
            string folder = SweepResultsJson.SweepFolder(_root, "primer");
            return (folder, SweepResultsJson.Comparable(folder), sw.Elapsed);
        });

        public (string Folder, string Json, TimeSpan Wall) Result => _run.Value;

        public void Dispose()
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    [SlurmFact]
    public void TheSubmittedChainRunsBaselinesThreeShardsAndTheReportAndItsResultsEqualOneProcess()
    {
        string root = TestPaths.NewTempDir();
        var sw = Stopwatch.StartNew();
        var (exit, output) = Submit(root);
        Assert.True(exit == 0, output);
        Assert.Contains("submitted: baselines job", output);
        Assert.Contains("squeue -j", output);
        Assert.Contains("sacct -j", output);
        Assert.True(_cluster.WaitUntilIdle(ChainTimeout), $"the chain did not finish within {ChainTimeout}: {string.Join("; ", _cluster.QueuedJobs())}");
        var slurmWall = sw.Elapsed;

        string folder = SweepResultsJson.SweepFolder(root, "primer");
        string logs = Path.Combine(folder, "slurm", "logs");
        Assert.True(File.Exists(Path.Combine(folder, "report.html")), Logs(logs));
        var shardLogs = Directory.GetFiles(logs, "shard-*.out");
        Assert.Equal(3, shardLogs.Length);
        Assert.All(shardLogs, f => Assert.Matches(@"shard \d/3: \d run\(s\) done, 0 already complete", File.ReadAllText(f)));
        Assert.Single(Directory.GetFiles(logs, "baselines-*.out"));
        Assert.Single(Directory.GetFiles(logs, "report-*.out"));

        // Every run was done by exactly one shard, as the plan assigns them.
        var done = shardLogs.SelectMany(f => File.ReadAllLines(f).Where(l => l.Contains("(decoded)")).Select(l => l.Split(':')[0])).ToList();
        Assert.Equal(8, done.Count);
        Assert.Equal(8, done.Distinct().Count());

        var single = _single.Result;
        Assert.Equal(Path.GetFileName(single.Folder), Path.GetFileName(folder)); // same sweep run id
        Assert.Equal(single.Json, SweepResultsJson.Comparable(folder));
        _out.WriteLine($"wall time: Slurm chain (3 shards, 2 cores) {slurmWall.TotalSeconds:F1} s; single process {single.Wall.TotalSeconds:F1} s");
    }

    [SlurmFact]
    public void AShardCancelledMidRunIsFinishedByTheResubmittedChainWithNothingLost()
    {
        string root = TestPaths.NewTempDir();
        var (exit, output) = Submit(root);
        Assert.True(exit == 0, output);
        string folder = SweepResultsJson.SweepFolder(root, "primer");

        // Wait for a run that is claimed and past its initial quantization (it has a checkpoint), then cancel its array task.
        string? cancelled = null, cancelledRun = null;
        var sw = Stopwatch.StartNew();
        while (cancelled is null && sw.Elapsed < ChainTimeout)
        {
            foreach (string runDir in Directory.Exists(Path.Combine(folder, "runs")) ? Directory.GetDirectories(Path.Combine(folder, "runs")) : Array.Empty<string>())
            {
                string claim = Path.Combine(runDir, RunClaim.FileName);
                if (!File.Exists(claim) || !File.Exists(Path.Combine(runDir, "checkpoint.safetensors")) || File.Exists(Path.Combine(runDir, ExperimentRunner.ResultFileName))) continue;
                string? job;
                try { job = JsonDocument.Parse(File.ReadAllText(claim)).RootElement.GetProperty("slurmJob").GetString(); }
                catch (Exception e) when (e is IOException or JsonException) { continue; }
                if (job is null) continue;
                var (c, o) = _cluster.Run(new[] { "/usr/bin/scancel", job });
                Assert.True(c == 0, o);
                (cancelled, cancelledRun) = (job, Path.GetFileName(runDir));
                break;
            }
            Thread.Sleep(100);
        }
        Assert.True(cancelled is not null, "no shard was caught mid-run");
        _out.WriteLine($"cancelled array task {cancelled} during {cancelledRun}");
        Assert.True(_cluster.WaitUntilIdle(ChainTimeout), string.Join("; ", _cluster.QueuedJobs()));
        // Something is left to do, and the report job did not run (its dependency failed).
        int completeBefore = Directory.GetDirectories(Path.Combine(folder, "runs")).Count(d => File.Exists(Path.Combine(d, ExperimentRunner.ResultFileName)));
        Assert.True(completeBefore < 8, "the cancelled shard finished every run anyway");
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "slurm", "logs"), "report-*.out"));
        bool resumable = File.Exists(Path.Combine(folder, "runs", cancelledRun!, "checkpoint.safetensors"))
                         && !File.Exists(Path.Combine(folder, "runs", cancelledRun!, ExperimentRunner.ResultFileName));
        var logsBefore = Directory.GetFiles(Path.Combine(folder, "slurm", "logs"), "shard-*.out").ToHashSet();

        // Resubmit the same command: complete runs are skipped, the cancelled one resumes and the chain completes.
        (exit, output) = Submit(root);
        Assert.True(exit == 0, output);
        Assert.Contains("already complete", output);
        Assert.True(_cluster.WaitUntilIdle(ChainTimeout), string.Join("; ", _cluster.QueuedJobs()));
        string logs = Path.Combine(folder, "slurm", "logs");
        Assert.True(File.Exists(Path.Combine(folder, "report.html")), Logs(logs));
        Assert.Single(Directory.GetFiles(logs, "report-*.out"));
        if (resumable)
        {
            // The interrupted run continued from its checkpoint: the new shard log has its epoch but not a new initial quantization.
            string resumedLog = Directory.GetFiles(logs, "shard-*.out").Where(f => !logsBefore.Contains(f)).Select(File.ReadAllText)
                .Single(t => t.Contains(cancelledRun + ": epoch 1"));
            Assert.DoesNotContain(cancelledRun + ": initial quantization", resumedLog);
        }
        Assert.Equal(8, Directory.GetDirectories(Path.Combine(folder, "runs")).Count(d => File.Exists(Path.Combine(d, ExperimentRunner.ResultFileName))));
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "runs"), RunClaim.FileName, SearchOption.AllDirectories)); // every claim released
        Assert.Equal(_single.Result.Json, SweepResultsJson.Comparable(folder));
    }

    [SlurmFact]
    public void TheClusterLooksLikeOneIdleNodeWithThisMachinesCpus()
    {
        var (exit, output) = _cluster.Run(new[] { "/usr/bin/sinfo", "-h", "-o", "%n %t %c" });
        Assert.True(exit == 0, output);
        var fields = output.Trim().Split(' ');
        Assert.Equal(Environment.MachineName.Split('.')[0], fields[0]);
        Assert.Equal(Environment.ProcessorCount.ToString(), fields[2]);
    }

    private (int Exit, string Output) Submit(string root) =>
        _cluster.Run(Shell.Ecqx().Concat(QuickPrimer).Concat(new[] { "--out-dir", root, "--slurm", "--shards", "3", "--submit" }).ToArray());

    private static string Logs(string dir) => Directory.Exists(dir)
        ? string.Join("\n", Directory.GetFiles(dir).Select(f => $"== {f}\n{File.ReadAllText(f)}"))
        : $"no logs in {dir}";
}
