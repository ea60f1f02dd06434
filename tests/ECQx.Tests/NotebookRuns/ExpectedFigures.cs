using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Gallery;
using ECQx.Notebooks.Nbformat;
using Xunit;

namespace ECQx.Tests.NotebookRuns;

/// <summary>
/// The figures a notebook's quick run must show, listed in <c>notebooks/expected-figures/&lt;notebook&gt;.json</c>
/// (<c>{"notebook": "x.ipynb", "figures": ["title", "title with * wildcard", …]}</c>, or a bare array of titles): each must be
/// the title of a chart output of the executed notebook, and that output must carry an <c>image/png</c> (when Chromium is
/// installed; <c>.ci/install-prereqs</c> installs it).
/// </summary>
internal static class ExpectedFigures
{
    public static string Folder => Path.Combine(TestPaths.RepoRoot(), "notebooks", "expected-figures");

    /// <summary>The expected titles for <paramref name="notebook"/>, or null when the notebook has no list.</summary>
    public static IReadOnlyList<string>? For(string notebook)
    {
        string path = Path.Combine(Folder, Path.GetFileNameWithoutExtension(notebook) + ".json");
        if (!File.Exists(path)) return null;
        JsonNode? json = JsonNode.Parse(File.ReadAllText(path));
        JsonArray titles = json switch
        {
            JsonArray a => a,
            JsonObject o when o["figures"] is JsonArray a => a,
            _ => throw new InvalidDataException($"{path}: expected an array of titles or an object with a 'figures' array"),
        };
        return titles.Select(t => t?.GetValue<string>() ?? throw new InvalidDataException($"{path}: a null title")).ToList();
    }

    /// <summary>Asserts every expected figure of <paramref name="notebook"/> is in <paramref name="executed"/>, with its PNG.</summary>
    public static void Check(string notebook, NotebookDocument executed)
    {
        var expected = For(notebook);
        if (expected is null) return;
        var charts = FigureGallery.Charts(executed).Select(c => (c.Title, Png: c.Png is not null)).ToList();
        bool pngExpected = ChartPngRenderer.FindChromium() is not null;
        var missing = new List<string>();
        foreach (string title in expected)
        {
            var pattern = FigureGallery.TitlePattern(title);
            var match = charts.Where(c => pattern.IsMatch(c.Title)).ToList();
            if (match.Count == 0) missing.Add($"'{title}': no chart with this title");
            else if (pngExpected && !match.Any(c => c.Png)) missing.Add($"'{title}': the chart has no image/png");
        }
        Assert.True(missing.Count == 0,
            $"{notebook}: expected figures missing:\n  {string.Join("\n  ", missing)}\nchart titles of the run:\n  {string.Join("\n  ", charts.Select(c => c.Title))}");
    }
}

/// <summary>The lists themselves: every list names a notebook that exists, under the list's own name, with at least one title.</summary>
public sealed class ExpectedFigureListTests
{
    [Fact]
    public void EveryListBelongsToANotebookAndNamesFigures()
    {
        var lists = Directory.GetFiles(ExpectedFigures.Folder, "*.json");
        Assert.NotEmpty(lists);
        foreach (string list in lists)
        {
            string notebook = Path.GetFileNameWithoutExtension(list) + ".ipynb";
            Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot(), "notebooks", notebook)), $"{list}: there is no notebooks/{notebook}");
            if (JsonNode.Parse(File.ReadAllText(list)) is JsonObject { } o && o["notebook"] is { } named)
                Assert.Equal(notebook, named.GetValue<string>());
            Assert.NotEmpty(ExpectedFigures.For(notebook)!);
        }
    }
}
