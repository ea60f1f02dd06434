using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Nbformat;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// The <c>ecqx notebook run</c> verb in-process. It runs cells with the notebook's folder as the current
/// directory (as Polyglot Notebooks does), so these tests run alone, not beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookVerbCollection
{
    public const string Name = "notebook verb (changes the current directory)";
}

[Collection(NotebookVerbCollection.Name)]
public sealed class NotebookVerbTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ecqx-notebook-verb-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string WriteNotebook(string name, params (string Source, string[] Tags)[] cells)
    {
        var nb = NotebookDocument.CreateEmpty(name);
        foreach (var (source, tags) in cells) nb.AddCell("code", source, tags);
        string path = Path.Combine(_folder, name);
        nb.Save(path);
        return path;
    }

    private static Task<int> Ecqx(params string[] args) => Cli.Program.BuildRoot().Parse(args).InvokeAsync();

    [Fact]
    public async Task RunWritesTheExecutedCopyWithParametersAndUsesTheNotebookFolderAsCurrentDirectory()
    {
        string input = WriteNotebook("ok.ipynb",
            ("int n = 1;", ["parameters"]),
            ("System.IO.File.WriteAllText(\"from-cell.txt\", $\"n={n}\");\nn * 10", []));
        string output = Path.Combine(_folder, "results", "ok-run.ipynb");
        string before = Directory.GetCurrentDirectory();

        int exit = await Ecqx("notebook", "run", input, "--param", "n=4", "--output", output, "--quiet");

        Assert.Equal(0, exit);
        Assert.Equal(before, Directory.GetCurrentDirectory());
        Assert.Equal("n=4", await File.ReadAllTextAsync(Path.Combine(_folder, "from-cell.txt")));
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
        var last = saved["cells"]![2]!["outputs"]![0]!;
        Assert.Equal("40", NotebookRunnerFixture.Text(last["data"]!["text/plain"]));
        Assert.Empty(NbformatValidator.Validate(saved.ToJsonString()));
    }

    [Fact]
    public async Task FailingCellGivesExitCodeOneAndStillWritesTheNotebook()
    {
        string input = WriteNotebook("bad.ipynb", ("var x = 1;", []), ("x / 0", []));
        string output = Path.Combine(_folder, "bad-run.ipynb");

        int exit = await Ecqx("notebook", "run", input, "-o", output, "-q");

        Assert.Equal(1, exit);
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
        Assert.Equal("error", saved["cells"]![1]!["outputs"]![0]!["output_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AClaimTheRunFalsifiesIsRecordedShownAndFailsTheStrictRun()
    {
        // The claim mechanism of the notebooks: a sentence about a figure is checked against the numbers of the run.
        string input = WriteNotebook("claims.ipynb",
            ("double ahead = 1.5;", ["parameters"]),
            ("claim(\"ECQx is ahead of ECQ\", ahead > 0, $\"ECQx − ECQ = {ahead} points\");\nclaim(\"sparsity rises over the epochs\", 86.9 > 87.5, \"87.5 % → 86.9 %\");", []));
        string output = Path.Combine(_folder, "claims-run.ipynb");

        Assert.Equal(0, await Ecqx("notebook", "run", input, "-o", output, "-q"));
        var claims = Claims.In(NotebookDocument.Load(output));
        Assert.Equal(2, claims.Count);
        Assert.Equal((2, new NotebookClaim("ECQx is ahead of ECQ", true, "ECQx − ECQ = 1.5 points")), claims[0]);
        Assert.False(claims[1].Claim.Holds);
        Assert.Equal("87.5 % → 86.9 %", claims[1].Claim.Evidence);
        var shown = JsonNode.Parse(await File.ReadAllTextAsync(output))!["cells"]![1]!["outputs"]![1]!["data"]!;
        Assert.StartsWith("✗ not in this run: sparsity rises over the epochs", NotebookRunnerFixture.Text(shown["text/plain"]));
        Assert.Contains("Not in this run", NotebookRunnerFixture.Text(shown["text/html"]));

        Assert.Equal(3, await Ecqx("notebook", "run", input, "-o", output, "-q", "--strict-claims"));
        Assert.Equal(3, await Ecqx("notebook", "run", input, "-o", output, "-q", "--strict-claims", "--param", "ahead=-1"));
        Assert.False(Claims.In(NotebookDocument.Load(output))[0].Claim.Holds);   // the parameter falsified the first claim too
    }

    [Fact]
    public void AMalformedClaimRecordIsAnErrorNamingTheCell()
    {
        var nb = NotebookDocument.CreateEmpty("x.ipynb");
        nb.AddCell("markdown", "text", []);
        nb.AddCell("code", "claim(...)", []);
        var cell = (JsonObject)nb.Cells[1]!;
        cell["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "display_data", ["metadata"] = new JsonObject(),
            ["data"] = new JsonObject { [Claims.MimeType] = new JsonObject { ["statement"] = "s", ["holds"] = "yes" } } });
        var error = Assert.Throws<InvalidDataException>(() => Claims.In(nb));
        Assert.StartsWith("cell 2: malformed claim record", error.Message);
    }

    [Fact]
    public async Task NotebookThatCannotRunGivesExitCodeTwoAndWritesNothing()
    {
        string input = WriteNotebook("noparams.ipynb", ("var x = 1;", []));
        string output = Path.Combine(_folder, "noparams-run.ipynb");

        Assert.Equal(2, await Ecqx("notebook", "run", input, "--param", "x=2", "-o", output));
        Assert.Equal(2, await Ecqx("notebook", "run", input, "--param", "x", "-o", output));
        Assert.Equal(2, await Ecqx("notebook", "run", input, "-o", input));
        Assert.Equal(2, await Ecqx("notebook", "run", Path.Combine(_folder, "missing.ipynb"), "-o", output));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void DefaultOutputGoesToResultsNotebooksUnderTheRepositoryRoot()
    {
        string repo = Directory.CreateDirectory(Path.Combine(_folder, "repo")).FullName;
        File.WriteAllText(Path.Combine(repo, "ECQx.Research.sln"), "");
        string nbPath = Path.Combine(repo, "notebooks", "sub", "cifar.ipynb");

        Assert.Equal(Path.Combine(repo, "results", "notebooks", "cifar.ipynb"), NotebookRunner.DefaultOutputPath(nbPath));
    }
}
