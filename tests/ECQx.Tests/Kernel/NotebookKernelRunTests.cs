using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ECQx.Notebooks;
using ECQx.Notebooks.Nbformat;
using ECQx.Notebooks.Scripting;
using ECQx.Tests.NotebookRuns;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Kernel;

/// <summary>
/// Every committed notebook executed by <c>nbclient</c> (a client nobody here wrote) through the installed
/// kernelspec that the notebook's metadata names, in quick mode with the same parameters as the headless run
/// (nbclient gets them as a cell tagged <c>injected-parameters</c> after the <c>parameters</c> cell, as papermill
/// does). Every cell must succeed, and each cell must show the same result tables and charts as the headless run
/// (<c>ecqx notebook run</c>, also a fresh process): the same titles, traces, labels, text and numbers. Only measured
/// times differ (timing columns of tables, charts with a time axis, and numbers in text next to "ms" or "s").
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class NotebookKernelRunTests(ITestOutputHelper log)
{
    private async Task RunThroughKernel(string name)
    {
        NotebookDocument headless = await NotebookRunTests.Headless(name);
        string root = TestPaths.RepoRoot();
        string input = Path.Combine(root, "notebooks", name);
        string work = TestPaths.NewTempDir();

        // The headless run's injected cell, with a fresh results folder (a reused one would resume finished runs).
        JsonObject injectedCell = headless.Cells.Cast<JsonObject>().Single(c => NotebookDocument.TagsOf(c).Contains(NotebookParameters.InjectedTag));
        string injected = string.Join('\n', NotebookDocument.SourceOf(injectedCell).Split('\n')
            .Select(line => line.StartsWith("resultsDir = ", StringComparison.Ordinal)
                ? NotebookParameters.Assignment("resultsDir", Path.Combine(work, "results"), typeof(string)) : line));
        string injectedFile = Path.Combine(work, "injected.cs");
        File.WriteAllText(injectedFile, injected);
        string output = Path.Combine(work, name);

        var (exit, text) = JupyterClients.RunScript("run_notebook.py", [input, output, injectedFile], JupyterClients.InstallKernelSpec(), TimeSpan.FromMinutes(20));
        log.WriteLine(text);
        Assert.True(exit == 0, $"nbclient could not run {name} through the kernel (exit {exit}):\n{text}");

        NotebookDocument viaKernel = NotebookDocument.Load(output);
        var kernelCells = viaKernel.Cells.Cast<JsonObject>().Where(c => NotebookDocument.TypeOf(c) == "code")
            .ToDictionary(c => c["id"]!.GetValue<string>());
        int compared = 0;
        foreach (JsonObject cell in headless.Cells.Cast<JsonObject>().Where(c => NotebookDocument.TypeOf(c) == "code"))
        {
            string id = cell["id"]!.GetValue<string>();
            Assert.True(kernelCells.TryGetValue(id, out JsonObject? other), $"{name}: cell {id} is missing from the kernel's run");
            var expected = Results(cell);
            var actual = Results(other!);
            Assert.DoesNotContain(((JsonArray)other!["outputs"]!).Cast<JsonObject>(), o => o["output_type"]!.GetValue<string>() == "error");
            Assert.True(expected.Count == actual.Count, $"{name}, cell {id}: {expected.Count} tables/charts headless, {actual.Count} through the kernel");
            for (int k = 0; k < expected.Count; k++)
            {
                Assert.Equal(expected[k].Kind, actual[k].Kind);
                const double tolerance = 1e-9; // the same seeded computation in two fresh processes: equal up to printing
                bool same = expected[k].Kind == "chart" ? IsTimingChart(expected[k].Value) || SameValues(expected[k].Value, actual[k].Value, tolerance) : SameTable(expected[k].Value, actual[k].Value, tolerance);
                Assert.True(same,
                    $"{name}, cell {id}, {expected[k].Kind} {k + 1} differs:\nheadless: {Clip(expected[k].Value)}\nkernel:   {Clip(actual[k].Value)}");
                compared++;
            }
        }
        Assert.True(compared > 0, $"{name}: no tables or charts to compare");
        log.WriteLine($"{name}: {compared} tables and charts equal");
    }

    /// <summary>The cell's result tables (HTML) and charts (Plotly figure JSON), in output order.</summary>
    private static List<(string Kind, JsonNode Value)> Results(JsonObject cell)
    {
        var results = new List<(string, JsonNode)>();
        foreach (JsonObject output in ((JsonArray)cell["outputs"]!).Cast<JsonObject>())
        {
            if (output["data"] is not JsonObject data) continue;
            if (data["application/vnd.plotly.v1+json"] is { } figure) results.Add(("chart", figure));
            else if (data["text/html"] is { } html && Joined(html).Contains("<table", StringComparison.Ordinal)) results.Add(("table", JsonValue.Create(Joined(html))));
        }
        return results;
    }

    private static string Joined(JsonNode text) => text is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : text.GetValue<string>();

    /// <summary>Equal values, numbers within a relative <paramref name="tolerance"/> (Python writes 1.0 where .NET writes 1).</summary>
    private static bool SameValues(JsonNode? a, JsonNode? b, double tolerance) => (a, b) switch
    {
        (null, null) => true,
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => SameValues(p.First, p.Second, tolerance)),
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.ContainsKey(p.Key) && SameValues(p.Value, y[p.Key], tolerance)),
        (JsonValue x, JsonValue y) when x.TryGetValue(out double dx) && y.TryGetValue(out double dy) => Close(dx, dy, tolerance),
        (JsonValue x, JsonValue y) when x.TryGetValue(out string? sx) && y.TryGetValue(out string? sy) => SameText(sx, sy, tolerance),
        (JsonValue x, JsonValue y) => x.ToJsonString() == y.ToJsonString(),
        _ => false,
    };

    /// <summary>A chart of measured times (an axis in ms or seconds): timings differ from run to run.</summary>
    private static bool IsTimingChart(JsonNode chart) =>
        new[] { "xaxis", "yaxis" }.Any(axis => chart["layout"]?[axis]?["title"]?["text"]?.GetValue<string>() is { } t && TimingColumn.IsMatch(t));

    private static bool Close(double a, double b, double tolerance) =>
        a.Equals(b) || (double.IsFinite(a) && double.IsFinite(b) && Math.Abs(a - b) <= tolerance * Math.Max(Math.Abs(a), Math.Abs(b)) + 1e-9);

    private static readonly Regex NumberInText = new(@"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?");

    /// <summary>The same text with the same numbers in it (each within the tolerance).</summary>
    private static bool SameText(string a, string b, double tolerance)
    {
        if (a == b) return true;
        if (NumberInText.Replace(a, "#") != NumberInText.Replace(b, "#")) return false;
        var na = NumberInText.Matches(a).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        var nb = NumberInText.Matches(b).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        return na.Zip(nb).All(p => Close(p.First, p.Second, tolerance));
    }

    private static readonly Regex Row = new("<tr>(.*?)</tr>", RegexOptions.Singleline);
    private static readonly Regex Cell = new("<t[hd][^>]*>(.*?)</t[hd]>", RegexOptions.Singleline);
    private static readonly Regex TimingColumn = new("(^ms|ms$|MsPer|seconds|wall|time)", RegexOptions.IgnoreCase);

    /// <summary>The same header and rows; cells of timing columns are skipped, numeric cells compare within the tolerance.</summary>
    private static bool SameTable(JsonNode a, JsonNode b, double tolerance)
    {
        var ra = Rows(a.GetValue<string>());
        var rb = Rows(b.GetValue<string>());
        if (ra.Count != rb.Count || ra.Count == 0 || !ra[0].SequenceEqual(rb[0])) return false;
        var timing = ra[0].Select(h => TimingColumn.IsMatch(h)).ToArray();
        return ra.Zip(rb).Skip(1).All(r => r.First.Count == r.Second.Count && r.First.Select((cell, i) =>
            (i < timing.Length && timing[i]) || SameText(cell, r.Second[i], tolerance)).All(ok => ok));
    }

    private static List<List<string>> Rows(string html) =>
        Row.Matches(html).Select(r => Cell.Matches(r.Groups[1].Value).Select(c => c.Groups[1].Value.Trim()).ToList()).ToList();


    private static string Clip(JsonNode node)
    {
        string s = node.ToJsonString();
        return s.Length > 600 ? s[..600] + "…" : s;
    }

    [JupyterFact]
    public Task PrimerThroughTheKernel() => RunThroughKernel("00-ecqx-primer.ipynb");

    [JupyterFact]
    public Task SpeechCommandsThroughTheKernel() => RunThroughKernel("01-google-speech-commands.ipynb");

    [JupyterFact]
    public Task Cifar10ThroughTheKernel() => RunThroughKernel("02-cifar10.ipynb");

    [JupyterFact]
    public Task RelevanceComparisonThroughTheKernel() => RunThroughKernel("03-lrp-vs-deeplift.ipynb");

    [JupyterFact]
    public Task XaiCompressionThroughTheKernel() => RunThroughKernel("04-xai-pruning-and-mixed-precision.ipynb");
}
