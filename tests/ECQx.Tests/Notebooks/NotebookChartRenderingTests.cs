using System.Text;
using System.Text.RegularExpressions;
using ECQx.Tests.Plots;
using Xunit;
using static ECQx.Tests.Notebooks.NotebookRunnerFixture;

namespace ECQx.Tests.Notebooks;

[Collection(NotebookRunnerCollection.Name)]
public sealed class NotebookChartRenderingTests(NotebookRunnerFixture fx)
{
    /// <summary>
    /// The HTML fallbacks of a notebook's chart outputs, put on one page in order (as VS Code, JupyterLab and
    /// nbconvert show them), render offline: the first carries plotly.js, the second uses it.
    /// </summary>
    [ChromiumFact]
    public async Task ChartOutputsRenderOfflineInABrowser()
    {
        var result = await fx.RunAsync(Build(
            "var results = new[] { new QuantizationResult(\"ECQ\", 2, 80, 60), new QuantizationResult(\"ECQx\", 2, 82, 65), new QuantizationResult(\"ECQ\", 4, 90, 40) };",
            "display(Figures.AccuracyVsSparsity(results));",
            "Figures.WeightHistogram(new float[] { -0.2f, -0.1f, 0f, 0f, 0.1f, 0.25f }, new double[] { -0.2, 0, 0.2 }, bins: 10)"));
        Assert.True(result.Succeeded, result.Failure?.ToString());

        var page = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
        foreach (var cell in result.Notebook.Cells)
            foreach (var output in cell!["outputs"]!.AsArray())
                if (output!["data"]?["text/html"] is { } html) page.Append("<div class=\"output\">").Append(Text(html)).Append("</div>");
        page.Append("</body></html>");
        string path = Path.Combine(fx.Folder, "outputs.html");
        await File.WriteAllTextAsync(path, page.ToString());

        string dom = HeadlessChromium.DumpDom(path);

        var plots = Regex.Matches(dom, "<div id=\"(ecqx-plot-[^\"]+)\" class=\"([^\"]*)\"").ToList();
        Assert.Equal(2, plots.Count);
        Assert.All(plots, m => Assert.Contains("js-plotly-plot", m.Groups[2].Value));
        string first = dom[plots[0].Index..plots[1].Index], second = dom[plots[1].Index..];
        Assert.Equal(3, Regex.Matches(first, "class=\"trace scatter").Count);  // ECQ 2-bit, ECQ 4-bit, ECQx 2-bit
        Assert.Single(Regex.Matches(second, "class=\"trace bars"));
        Assert.Single(Regex.Matches(second, "class=\"trace scatter")); // the codebook markers
        Assert.DoesNotContain(">This chart needs plotly.js", dom); // the fallback message was not written into a div
    }
}
