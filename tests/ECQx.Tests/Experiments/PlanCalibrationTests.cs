using System.Text.Json;
using ECQx.Experiments;
using ECQx.Tests.Cluster;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>
/// <c>ecqx reproduce --plan</c> in hours: a real calibration of a tiny primer sweep (the MLP, a few batches) fills the
/// step-time cache, a second plan reads it without measuring, another thread count or a corrupt cache calibrates again,
/// and <c>--slurm</c> takes its time limits from the cache unless <c>--time</c> is given. Each test has its own
/// <c>XDG_CACHE_HOME</c> (process-global, hence the collection).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class PlanCalibrationTests
{
    private static readonly string[] Sweep = { "primer", "--quick", "--bits", "2", "--lambdas", "0.1", "--max-batches", "3", "--threads", "1" };

    private static string[] Args(string root, params string[] more) => Sweep.Concat(new[] { "--out-dir", root }).Concat(more).ToArray();

    /// <summary>Points <c>XDG_CACHE_HOME</c> at a new temporary folder until disposed.</summary>
    private sealed class CacheHome : IDisposable
    {
        private readonly string? _previous = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");

        public CacheHome()
        {
            Root = TestPaths.NewTempDir();
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", Root);
        }

        public string Root { get; }
        public string CacheFile => Path.Combine(Root, "ecqx", StepTimeCache.FileName);
        public void Dispose() => Environment.SetEnvironmentVariable("XDG_CACHE_HOME", _previous);
    }

    [Fact]
    public void APlanCalibratesOnceWritesTheCacheAndTheNextPlanReadsItWithoutMeasuring()
    {
        using var home = new CacheHome();
        Assert.Equal(home.CacheFile, StepTimeCache.DefaultPath());
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Args(root, "--plan"));
        Assert.True(exit == 0, text);
        Assert.Contains("calibrating mlp_28x28 on cpu, 1 thread(s)", text);
        Assert.Contains("est. time", text);
        Assert.Contains("est. time of the whole sweep in one process:", text);
        Assert.Contains("calibrated for cpu, 1 thread(s) on " + StepTimeKey.ThisMachine(), text);
        Assert.Empty(Directory.GetFileSystemEntries(root)); // calibrating writes nothing into the results folder
        // Short steps are timed after a warm-up: the quantized trainers warm up as long as the full-precision re-timing did.
        var retimed = System.Text.RegularExpressions.Regex.Match(text, @"timed again after (\d+) warm-up steps");
        string warmup = retimed.Success ? retimed.Groups[1].Value : StepTimeCalibration.WarmupSteps.ToString();
        Assert.Contains($"{warmup} + {StepTimeCalibration.TimedSteps} ECQ steps", text);
        Assert.Contains($"{warmup} + {StepTimeCalibration.TimedSteps} ECQx steps", text);

        var entry = Assert.Single(StepTimeCache.Load(home.CacheFile).Entries);
        Assert.Equal(("mlp_28x28", "cpu", 1, 64, 2, "lrp"), (entry.Key.Model, entry.Key.Device, entry.Key.Threads, entry.Key.BatchSize, entry.Key.Bits, entry.Key.Relevance));
        var t = entry.Times;
        Assert.Null(t.Invalid()); // finite, ≥ 0, steps > 0
        Assert.All(new[] { t.Evaluation, t.QuantizedEpochEnd, t.InitialQuantization, t.Coding, t.RunSetup }, s => Assert.True(s > 0, s.ToString()));
        Assert.True(DateTimeOffset.UtcNow - t.MeasuredAt < TimeSpan.FromHours(1));
        DateTime written = File.GetLastWriteTimeUtc(home.CacheFile);

        var (exit2, again) = ReproduceCli.Run(Args(root, "--plan", "--shards", "2"));
        Assert.True(exit2 == 0, again);
        Assert.DoesNotContain("calibrating", again);
        Assert.Contains($"step times of mlp_28x28: from the cache {home.CacheFile}", again);
        Assert.Contains("shard 0/2: 1 run(s), est. time ", again);
        Assert.Contains("shard 1/2: 1 run(s), est. time ", again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(home.CacheFile));

        // The JSON plan carries the same estimate: every step's seconds, the shards' and the sweep's sums.
        var (exit3, json) = ReproduceCli.Run(Args(root, "--plan", "--json", "--shards", "2"));
        Assert.True(exit3 == 0, json);
        using var doc = JsonDocument.Parse(json);
        double Seconds(JsonElement e) => e.GetProperty("estimatedSeconds").GetDouble();
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().Select(Seconds).ToList();
        var baselines = doc.RootElement.GetProperty("baselines").EnumerateArray().Select(Seconds).ToList();
        Assert.All(runs.Concat(baselines), s => Assert.True(s > 0 && double.IsFinite(s)));
        Assert.True(runs[1] > runs[0], "the ECQx run takes longer than the ECQ run");
        Assert.Equal(baselines.Sum() + runs.Sum(), Seconds(doc.RootElement), 9);
        Assert.Equal(runs.Sum(), doc.RootElement.GetProperty("shardEstimatedSeconds").EnumerateArray().Sum(e => e.GetDouble()), 9);
        Assert.Equal(1, doc.RootElement.GetProperty("calibration").GetProperty("threads").GetInt32());
    }

    [Theory]
    [InlineData(0.002, 40)]   // 250 steps for half a second: capped
    [InlineData(0.0125, 40)]  // exactly 40
    [InlineData(0.02, 25)]
    [InlineData(0.3, 2)]      // ⌈0.5 / 0.3⌉
    [InlineData(0.5, 1)]
    [InlineData(2.0, 1)]      // a long step keeps the one warm-up batch
    public void WarmUpBatchesCoverHalfASecondOfFullPrecisionSteps(double fpStepSeconds, int expected) =>
        Assert.Equal(expected, StepTimeCalibration.WarmupFor(fpStepSeconds));

    [Fact]
    public void AnotherThreadCountIsCalibratedAgainAndBothEntriesStay()
    {
        using var home = new CacheHome();
        string root = TestPaths.NewTempDir();
        Assert.Equal(0, ReproduceCli.Run(Args(root, "--plan")).Exit);
        var (exit, text) = ReproduceCli.Run(Args(root, "--plan").Select(a => a == "1" ? "2" : a).ToArray()); // --threads 2
        Assert.True(exit == 0, text);
        Assert.Contains("calibrating mlp_28x28 on cpu, 2 thread(s)", text);
        Assert.Equal(new[] { 1, 2 }, StepTimeCache.Load(home.CacheFile).Entries.Select(e => e.Key.Threads));
    }

    [Fact]
    public void ACorruptCacheIsAWarningNamingTheFileAndTheSweepIsCalibratedAgain()
    {
        using var home = new CacheHome();
        Directory.CreateDirectory(Path.GetDirectoryName(home.CacheFile)!);
        File.WriteAllText(home.CacheFile, "{\"version\": 1, \"entries\": [ trunc");
        var (exit, text) = ReproduceCli.Run(Args(TestPaths.NewTempDir(), "--plan"));
        Assert.True(exit == 0, text);
        Assert.Contains($"warning: the step-time cache {home.CacheFile} is unreadable", text);
        Assert.Contains("calibrating mlp_28x28", text);
        Assert.Single(StepTimeCache.Load(home.CacheFile).Entries);
    }

    [Fact]
    public void ADeviceThatIsNotHereIsAMessageAndThePlanKeepsItsRelativeCosts()
    {
        using var home = new CacheHome();
        var (exit, text) = ReproduceCli.Run(Args(TestPaths.NewTempDir(), "--plan", "--device", "cuda:63"));
        Assert.True(exit == 0, text);
        Assert.Contains("no time estimate: cannot calibrate on this machine:", text);
        Assert.Contains("cuda:63", text);
        Assert.DoesNotContain("calibrating", text);
        Assert.Contains("est. cost", text);
        Assert.False(File.Exists(home.CacheFile));
    }

    [Fact]
    public void NoCalibratePrintsRelativeCostsOnlyAndMeasuresNothing()
    {
        using var home = new CacheHome();
        var (exit, text) = ReproduceCli.Run(Args(TestPaths.NewTempDir(), "--plan", "--no-calibrate"));
        Assert.True(exit == 0, text);
        Assert.DoesNotContain("calibrating", text);
        Assert.DoesNotContain("est. time", text);
        Assert.Contains("est. cost", text);
        Assert.False(File.Exists(home.CacheFile));
        var (bad, message) = ReproduceCli.Run(Args(TestPaths.NewTempDir(), "--report", "--no-calibrate"));
        Assert.Equal(2, bad);
        Assert.Contains("--no-calibrate goes with --plan", message);
    }

    [Fact]
    public void SlurmTimeLimitsComeFromTheCachedCalibrationAndAnExplicitTimeWins()
    {
        using var home = new CacheHome();
        string root = TestPaths.NewTempDir();

        // Without a calibration for the jobs' thread count: no time limit, and the output says how to get one.
        var (exit0, none) = ReproduceCli.Run(Args(root, "--slurm"));
        Assert.True(exit0 == 0, none);
        string slurm = Path.Combine(SweepResultsJson.SweepFolder(root, "primer"), "slurm");
        Assert.Contains("no --time: the jobs get the partition's default time limit (no calibration of mlp_28x28", none);
        Assert.Contains("--plan --threads 1", none);
        Assert.DoesNotContain("#SBATCH --time=", File.ReadAllText(Path.Combine(slurm, "shards.sbatch")));

        // A real calibration gives the key; hand-made times under it give limits that can be computed by hand.
        Assert.Equal(0, ReproduceCli.Run(Args(root, "--plan")).Exit);
        var cache = StepTimeCache.Load(home.CacheFile);
        var key = Assert.Single(cache.Entries).Key;
        cache.Set(key, new StepTimes(FullPrecisionStep: 100, EcqStep: 20, EcqxStep: 40, Evaluation: 30, FullPrecisionEpochEnd: 60,
            QuantizedEpochEnd: 60, RunSetup: 30, InitialQuantization: 60, Coding: 60, DateTimeOffset.UtcNow));
        cache.Save();
        var (exit, text) = ReproduceCli.Run(Args(root, "--slurm"));
        Assert.True(exit == 0, text);
        // 3 batches per epoch (--max-batches 3), 3 baseline epochs, 2 quantization-aware epochs:
        // baseline 3 × (3 × 100 + 60) + 30 = 1110 s → × 1.5 = 27.75 min → 28 min;
        // ECQ run 30 + 60 + 2 × (3 × 20 + 60) + 60 + 30 = 420 s, ECQx run 30 + 60 + 2 × (3 × 40 + 60) + 60 + 30 = 540 s;
        // one shard per run: the longest is 540 s → 13.5 min → 14 min; the report gets the 10-minute minimum.
        Assert.Contains("#SBATCH --time=0:28:00\n", File.ReadAllText(Path.Combine(slurm, "baselines.sbatch")));
        Assert.Contains("#SBATCH --time=0:14:00\n", File.ReadAllText(Path.Combine(slurm, "shards.sbatch")));
        Assert.Contains("#SBATCH --time=0:10:00\n", File.ReadAllText(Path.Combine(slurm, "report.sbatch")));
        Assert.Contains("time limits from the calibrated estimate", text);
        Assert.Contains("baselines 0:28:00, each shard 0:14:00, report 0:10:00", text);

        // In one shard: 420 + 540 = 960 s → 24 min.
        Assert.Equal(0, ReproduceCli.Run(Args(root, "--slurm", "--shards", "1")).Exit);
        Assert.Contains("#SBATCH --time=0:24:00\n", File.ReadAllText(Path.Combine(slurm, "shards.sbatch")));

        var (exit2, given) = ReproduceCli.Run(Args(root, "--slurm", "--time", "2:00:00"));
        Assert.True(exit2 == 0, given);
        Assert.DoesNotContain("time limits from the calibrated estimate", given);
        foreach (string script in new[] { "baselines.sbatch", "shards.sbatch", "report.sbatch" })
        {
            string body = File.ReadAllText(Path.Combine(slurm, script));
            Assert.Contains("#SBATCH --time=2:00:00\n", body);
            Assert.Single(body.Split('\n'), l => l.StartsWith("#SBATCH --time=", StringComparison.Ordinal));
        }
    }
}
