using System.Text.Json;
using ECQx.Experiments;
using ECQx.Tests.Experiments;
using Xunit;

namespace ECQx.Tests.Cluster;

/// <summary>
/// The cluster options of <c>ecqx reproduce</c> without a Slurm cluster: the plan, the scripts (run here by bash as
/// separate processes, exactly as Slurm would run them), the clear error without sbatch, and bad combinations.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ReproduceSlurmCliTests
{
    private static readonly string[] Sweep = { "primer", "--quick", "--bits", "2,4", "--lambdas", "0.1", "--max-batches", "3" };

    private static string[] Args(string root, params string[] more) => Sweep.Concat(new[] { "--out-dir", root }).Concat(more).ToArray();

    [Fact]
    public void SlurmWithoutSubmitWritesTheChainWithTheSameCommandAndTheGivenResources()
    {
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Args(root, "--slurm", "--shards", "3", "--max-parallel", "2", "--partition", "gpu",
            "--gpus-per-task", "1", "--cpus-per-task", "4", "--time", "1:00:00", "--device", "cuda:1"));
        Assert.True(exit == 0, text);
        Assert.Contains("4 run(s) in 3 shard(s)", text);
        Assert.Contains("submit with: bash", text);
        string slurm = Path.Combine(SweepResultsJson.SweepFolder(root, "primer"), "slurm");
        string shards = File.ReadAllText(Path.Combine(slurm, "shards.sbatch"));
        Assert.Contains("#SBATCH --array=0-2%2\n", shards);
        Assert.Contains("#SBATCH --partition=gpu\n", shards);
        Assert.Contains("#SBATCH --gpus-per-task=1\n", shards);
        Assert.Contains("#SBATCH --cpus-per-task=4\n", shards);
        Assert.Contains("#SBATCH --time=1:00:00\n", shards);
        Assert.Contains($"#SBATCH --output={Path.Combine(slurm, "logs")}/shard-%A_%a.out\n", shards);
        Assert.Contains($"reproduce primer --quick --out-dir {root} --run-id quick-", shards);
        Assert.Contains("--device cuda:1 --seed 808 --bits 2,4 --lambdas 0.1 --max-batches 3", shards);
        Assert.Contains("--threads \"${SLURM_CPUS_PER_TASK:-1}\" --shard \"${SLURM_ARRAY_TASK_ID}/3\"", shards);
        string report = File.ReadAllText(Path.Combine(slurm, "report.sbatch"));
        Assert.DoesNotContain("--gpus-per-task", report);
        Assert.Contains("--threads 1 --report", report);
        Assert.Contains("--baselines-only", File.ReadAllText(Path.Combine(slurm, "baselines.sbatch")));
        string submit = File.ReadAllText(Path.Combine(slurm, "submit.sh"));
        Assert.Contains("--dependency=afterok:$b shards.sbatch", submit);
        Assert.Contains("--dependency=afterok:$s report.sbatch", submit);
        if (!OperatingSystem.IsWindows())
            Assert.True((File.GetUnixFileMode(Path.Combine(slurm, "submit.sh")) & UnixFileMode.UserExecute) != 0);
        // a login node without CUDA can write scripts for GPU nodes; the CPU-only options stay valid
        Assert.Contains("#SBATCH --gpus-per-task=1", File.ReadAllText(Path.Combine(slurm, "baselines.sbatch")));
        // the command starts with an absolute executable that exists
        string exec = shards.Split('\n').Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        string first = exec.Split(' ')[1].Trim('\'');
        Assert.True(Path.IsPathRooted(first) && File.Exists(first), exec);
    }

    [Fact]
    public void TheWrittenScriptsRunAsSeparateProcessesAndTheirMergedResultsEqualOneProcess()
    {
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Args(root, "--slurm", "--shards", "3", "--threads", "1"));
        Assert.True(exit == 0, text);
        string folder = SweepResultsJson.SweepFolder(root, "primer");
        string slurm = Path.Combine(folder, "slurm");
        // bash ignores the #SBATCH lines: each script is the command its job would run.
        Run(Path.Combine(slurm, "baselines.sbatch"), null);
        for (int i = 0; i < 3; i++) Run(Path.Combine(slurm, "shards.sbatch"), i);
        string reportOutput = Run(Path.Combine(slurm, "report.sbatch"), null);
        Assert.Contains("4 complete run(s)", reportOutput);

        var single = new ExperimentRunner(ShardedSweepTests.Settings(TestPaths.NewTempDir())).Run();
        Assert.Equal(single.RunId, Path.GetFileName(folder));
        Assert.Equal(SweepResultsJson.Comparable(single.Directory), SweepResultsJson.Comparable(folder));
    }

    private static string Run(string script, int? arrayTask)
    {
        var env = new Dictionary<string, string>();
        if (arrayTask is int t) env["SLURM_ARRAY_TASK_ID"] = t.ToString();
        var (exit, output) = Shell.Run(new[] { "/bin/bash", script }, env, TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, $"{script} (task {arrayTask}) exited {exit}: {output}");
        return output;
    }

    [Fact]
    public void SubmitWithoutSbatchOnThePathSaysSoAndStillWritesTheScripts()
    {
        string root = TestPaths.NewTempDir();
        string emptyBin = TestPaths.NewTempDir();
        string? path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", emptyBin);
        try
        {
            var (exit, text) = ReproduceCli.Run(Args(root, "--slurm", "--submit"));
            Assert.Equal(3, exit);
            Assert.Contains("sbatch is not on PATH", text);
            Assert.Contains("submit.sh", text);
        }
        finally { Environment.SetEnvironmentVariable("PATH", path); }
        string slurm = Path.Combine(SweepResultsJson.SweepFolder(root, "primer"), "slurm");
        Assert.True(File.Exists(Path.Combine(slurm, "shards.sbatch")));
        Assert.Contains("#SBATCH --array=0-3\n", File.ReadAllText(Path.Combine(slurm, "shards.sbatch"))); // default: one shard per run
    }

    [Fact]
    public void ThePlanListsRunsCostsShardsAndStateAsJson()
    {
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Args(root, "--plan", "--no-calibrate", "--json", "--shards", "3"));
        Assert.True(exit == 0, text);
        using var doc = JsonDocument.Parse(text);
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(new[] { "mlp_28x28-ecq-2bit-lambda0.1", "mlp_28x28-ecq-4bit-lambda0.1", "mlp_28x28-ecqx-2bit-lambda0.1", "mlp_28x28-ecqx-4bit-lambda0.1" },
            runs.Select(r => r.GetProperty("name").GetString()));
        Assert.All(runs, r => Assert.Equal("pending", r.GetProperty("state").GetString()));
        Assert.All(runs, r => Assert.Equal("baseline-mlp_28x28", r.GetProperty("dependsOn").GetString()));
        Assert.Equal(2 * runs[0].GetProperty("estimatedCost").GetDouble(), runs[2].GetProperty("estimatedCost").GetDouble(), 9);
        Assert.Equal(new[] { 0, 1, 2 }, runs.Select(r => r.GetProperty("shard").GetInt32()).Distinct().Order());
        Assert.Equal("pending", doc.RootElement.GetProperty("baselines")[0].GetProperty("state").GetString());

        var (exit2, table) = ReproduceCli.Run(Args(root, "--plan", "--no-calibrate"));
        Assert.True(exit2 == 0, table);
        Assert.Contains("4 run(s): 0 complete, 0 running, 0 interrupted, 4 pending; baselines: 0 of 1 complete", table);
    }

    [Theory]
    [InlineData("cannot be combined", "--plan", "--report")]
    [InlineData("cannot be combined", "--slurm", "--shard", "0/2")]
    [InlineData("only apply with --slurm", "--submit")]
    [InlineData("only apply with --slurm", "--plan", "--partition", "gpu")]
    [InlineData("--json goes with --plan", "--report", "--json")]
    [InlineData("below the count", "--shard", "2/2")]
    [InlineData("is not a Slurm time limit", "--slurm", "--time", "soon")]
    [InlineData("--max-parallel must be at least 1", "--slurm", "--max-parallel", "0")]
    [InlineData("--claim-lease must be a positive", "--claim-lease", "0")]
    public void BadCombinationsAreRefusedBeforeAnythingRuns(string message, params string[] options)
    {
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Args(root, options));
        Assert.Equal(2, exit);
        Assert.Contains(message, text);
        Assert.False(Directory.Exists(Path.Combine(root, "primer")));
    }
}
