using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Nbformat;
using Xunit;

namespace ECQx.Tests.NotebookRuns;

/// <summary>
/// CI for the notebooks: each committed notebook runs top to bottom through the headless runner (<c>ecqx notebook run</c>,
/// in a process of its own) with <c>quick=true</c>
/// (fixture datasets for Speech Commands and CIFAR-10, so everything is offline), and every cell must succeed. Executed
/// copies go to <c>results/notebooks/</c> (gitignored); the sweeps' results go to a temporary folder. Each run's charts are
/// checked against <c>notebooks/expected-figures/&lt;notebook&gt;.json</c> (title and image/png, see <see cref="ExpectedFigures"/>).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class NotebookRunTests
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<NotebookDocument>>> Runs = new();

    /// <summary>
    /// The headless run of one committed notebook in quick mode, done once per test process and shared with
    /// <see cref="ECQx.Tests.Kernel.NotebookKernelRunTests"/>, which runs the same notebook with the same
    /// parameters through the kernel and compares.
    /// </summary>
    public static Task<NotebookDocument> Headless(string name) => Runs.GetOrAdd(name, n => new Lazy<Task<NotebookDocument>>(() => n switch
    {
        "00-ecqx-primer.ipynb" => Run(n, minCharts: 8, minClaims: 7),
        "01-google-speech-commands.ipynb" => Run(n, minCharts: 18, minClaims: 20),
        "02-cifar10.ipynb" => Run(n, minCharts: 15, minClaims: 18),
        "03-lrp-vs-deeplift.ipynb" => Run(n, minCharts: 6, minClaims: 7, writesResults: false),
        "04-xai-pruning-and-mixed-precision.ipynb" => Run(n, minCharts: 6, minClaims: 9, writesResults: false),
        _ => throw new ArgumentException("not a committed notebook: " + n),
    })).Value;


    private static Task<NotebookDocument> Run(string name, int minCharts, int minClaims, params string[] parameters) =>
        Run(name, minCharts, minClaims, writesResults: true, parameters);

    /// <param name="writesResults">Whether the notebook declares <c>resultsDir</c> (set to a temporary folder).</param>
    /// <param name="minClaims">How many claims about its own run (claim(...), see <see cref="Claims"/>) the notebook checks at least.</param>
    private static Task<NotebookDocument> Run(string name, int minCharts, int minClaims, bool writesResults, params string[] parameters) =>
        Task.Run(() => RunInOwnProcess(name, minCharts, minClaims, writesResults, parameters));

    private static NotebookDocument RunInOwnProcess(string name, int minCharts, int minClaims, bool writesResults, string[] parameters)
    {
        string root = TestPaths.RepoRoot();
        string input = Path.Combine(root, "notebooks", name);
        AssertCommittedClean(NotebookDocument.Load(input), name);
        string results = TestPaths.NewTempDir();
        var all = new[] { "quick=true" }.Concat(writesResults ? new[] { "resultsDir=" + results } : []).Concat(parameters).ToArray();
        // A process of its own, as `ecqx notebook run` (the documented command): libtorch's thread count and default
        // generator are process-wide, and tests running alongside in this process would change the notebook's numbers.
        string output = Path.Combine(root, "results", "notebooks", name);
        var launcher = ECQx.Tests.Kernel.JupyterClients.Launcher();
        string[] args = [.. launcher.Skip(1), "notebook", "run", input, "--output", output, "--quiet", .. all.SelectMany(p => new[] { "--param", p })];
        var run = ChildProcess.Run(launcher[0], Path.GetDirectoryName(input)!, TimeSpan.FromMinutes(25), null, args);
        Assert.True(run.ExitCode == 0, $"{name} failed headless (executed copy: {output}):\n{run.Transcript}");
        var executed = NotebookDocument.Load(output);
        var cells = executed.Cells.Cast<JsonObject>().Where(c => NotebookDocument.TypeOf(c) == "code").ToList();
        var outputs = cells.SelectMany(c => ((JsonArray)c["outputs"]!).Cast<JsonObject>()).ToList();
        Assert.DoesNotContain(outputs, o => o["output_type"]!.GetValue<string>() == "error");
        int charts = outputs.Count(o => o["data"] is JsonObject d && d.ContainsKey("application/vnd.plotly.v1+json"));
        Assert.True(charts >= minCharts, $"{name}: {charts} charts, expected at least {minCharts}");
        ExpectedFigures.Check(name, executed);
        // Every sentence the notebook checks against its own run (claim(...)) must hold in the quick run that CI makes.
        var claims = Claims.In(executed);
        var failing = claims.Where(c => !c.Claim.Holds).Select(c => $"cell {c.Cell}: {c.Claim.Statement} ({c.Claim.Evidence})").ToList();
        Assert.True(failing.Count == 0, $"{name}: claims that do not hold in the quick run:\n  {string.Join("\n  ", failing)}");
        Assert.True(claims.Count >= minClaims, $"{name}: {claims.Count} claims checked, expected at least {minClaims}");
        try { Directory.Delete(results, recursive: true); } catch (IOException) { }
        return executed;
    }

    /// <summary>Committed notebooks carry no outputs, and their first code cell is the tagged parameters cell.</summary>
    private static void AssertCommittedClean(NotebookDocument nb, string name)
    {
        var code = nb.Cells.Cast<JsonObject>().Where(c => NotebookDocument.TypeOf(c) == "code").ToList();
        Assert.Contains("parameters", NotebookDocument.TagsOf(code[0]));
        Assert.Contains("bool quick", NotebookDocument.SourceOf(code[0]));
        Assert.All(code, c => Assert.True(c["outputs"] is JsonArray { Count: 0 } && c["execution_count"] is null, $"{name} was committed with outputs"));
    }

    [Fact]
    public Task PrimerNotebookRunsInQuickMode() => Headless("00-ecqx-primer.ipynb");

    /// <summary>
    /// Quick mode without a dataset: the notebook speaks its Speech Commands corpus with espeak-ng (once, into the dataset
    /// store) and walks through all six steps on it; every chart's title says it shows synthesized speech.
    /// </summary>
    [Fact]
    public async Task SpeechCommandsNotebookWalksThroughEveryStepOnSynthesizedSpeech() =>
        AssertAllTitledStandIn(await Headless("01-google-speech-commands.ipynb"), "synthesized speech");

    /// <summary>Quick mode's ResNet20 on the bundled images synthesized from it: every chart's title says they are synthesized (agreement with the FP model).</summary>
    [Fact]
    public async Task Cifar10NotebookWalksThroughEveryStepOnTheSynthesizedImages() =>
        AssertAllTitledStandIn(await Headless("02-cifar10.ipynb"), "synthesized images (agreement with the FP model)");

    /// <summary>On stand-in data every chart's title says so (ends in <paramref name="suffix"/>).</summary>
    private static void AssertAllTitledStandIn(NotebookDocument executed, string suffix = "synthetic stand-in")
    {
        var titles = executed.Cells.Cast<JsonObject>()
            .Where(c => NotebookDocument.TypeOf(c) == "code")
            .SelectMany(c => ((JsonArray)c["outputs"]!).Cast<JsonObject>())
            .Select(o => o["data"]?["application/vnd.plotly.v1+json"]?["layout"]?["title"]?["text"]?.GetValue<string>())
            .OfType<string>().ToList();
        Assert.NotEmpty(titles);
        Assert.All(titles, t => Assert.EndsWith(suffix, t));
    }

    [Fact]
    public Task RelevanceComparisonNotebookRunsInQuickMode() => Headless("03-lrp-vs-deeplift.ipynb");

    /// <summary>Notebook 04 (pruning, weight sharing, mixed precision) ends with its ECQx comparison point.</summary>
    [Fact]
    public async Task XaiCompressionNotebookRunsInQuickMode()
    {
        var executed = await Headless("04-xai-pruning-and-mixed-precision.ipynb");
        string text = executed.Root.ToJsonString();
        Assert.Contains("Weight sharing", text);
        Assert.Contains("ECQx 4 bit", text);
    }
}
