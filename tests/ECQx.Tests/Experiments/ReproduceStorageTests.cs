using ECQx.Cli.Verbs;
using ECQx.Data.Idx;
using ECQx.Experiments;
using ECQx.Tests.IO;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>
/// What <c>ecqx reproduce</c> writes, and where: planning writes nothing, a report only its summary files, a read-only
/// results folder is an error naming the file, and a run id's steps are not mixed with steps on other data.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ReproduceStorageTests
{
    private static readonly string[] Sweep = { "primer", "--quick", "--bits", "2", "--lambdas", "0.1", "--methods", "ECQ", "--max-batches", "2", "--threads", "1" };

    private static ExperimentSettings Settings(string root, string? dataDir = null) => new()
    {
        Experiment = "primer", Quick = true, OutputRoot = root, Bits = new[] { 2 }, Lambdas = new[] { 0.1 }, Methods = new[] { "ECQ" },
        MaxBatchesPerEpoch = 2, Threads = 1, DataDirectory = dataDir,
    };

    [Fact]
    public void PlanningWritesNothing()
    {
        string root = TestPaths.NewTempDir();
        var (exit, text) = ReproduceCli.Run(Sweep.Concat(new[] { "--out-dir", root, "--plan", "--no-calibrate" }).ToArray());
        Assert.True(exit == 0, text);
        Assert.Contains("1 run(s): 0 complete", text);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [TmpfsFact]
    public void OnReadOnlyStorageAPlanWorksAndARunNamesTheFileItCannotWrite()
    {
        using var disk = TmpfsMount.Create(64 * 1024, readOnly: true);
        string root = Path.Combine(disk.Path, "res");
        var (exit, text) = ReproduceCli.Run(Sweep.Concat(new[] { "--out-dir", root, "--plan", "--no-calibrate" }).ToArray());
        Assert.True(exit == 0, text);
        Assert.Contains("1 run(s): 0 complete", text);

        (exit, text) = ReproduceCli.Run(Sweep.Concat(new[] { "--out-dir", root }).ToArray());
        Assert.Equal(CliRun.IoFailure, exit);
        Assert.Matches($@"error: cannot write {System.Text.RegularExpressions.Regex.Escape(root)}/primer/quick-[0-9a-f]{{10}}/config\.json: ", text);
        Assert.Contains("Read-only file system", text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public void AReportRewritesItsSummariesButNotTheConfiguration()
    {
        var settings = Settings(TestPaths.NewTempDir());
        var outcome = new ExperimentRunner(settings).Run();
        string config = Path.Combine(outcome.Directory, "config.json"), report = Path.Combine(outcome.Directory, "report.html");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(config, old);
        File.SetLastWriteTimeUtc(report, old);

        var (exit, text) = ReproduceCli.Run(Sweep.Concat(new[] { "--out-dir", settings.OutputRoot, "--report" }).ToArray());
        Assert.True(exit == 0, text);
        Assert.Equal(old, File.GetLastWriteTimeUtc(config));
        Assert.NotEqual(old, File.GetLastWriteTimeUtc(report));
    }

    [Fact]
    public void ARunIdIsNotContinuedOnDataWithOtherContent()
    {
        string data = TestPaths.NewTempDir();
        foreach (string f in Directory.GetFiles(FashionMnist.FindBundledSample()!, "*.gz")) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        var settings = Settings(TestPaths.NewTempDir(), data);
        var first = new ExperimentRunner(settings).Run();
        string config = Path.Combine(first.Directory, "config.json");
        Assert.Matches("\"dataContent\": \"sha256:[0-9a-f]{16}\"", File.ReadAllText(config));

        string images = Path.Combine(data, "train-labels-idx1-ubyte.gz");
        var idx = IdxFile.Read(images);
        idx.Data[7] = (byte)((idx.Data[7] + 1) % 10);
        IdxFile.Write(images, idx.Shape, idx.Data, gzip: true);
        var e = Assert.Throws<ArgumentException>(() => new ExperimentRunner(settings).Run());
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(config)}: run id '{first.RunId}' was run on other data: dataContent = sha256:[0-9a-f]{{16}} then, sha256:[0-9a-f]{{16}} now", e.Message);
        Assert.Contains(data, e.Message);
    }
}
