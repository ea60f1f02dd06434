using System.Text.Json.Nodes;
using ECQx.Notebooks;
using Xunit;
using static ECQx.Tests.Notebooks.NotebookRunnerFixture;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// XPlot.Plotly charts (a carried package) display offline: the output's HTML draws the chart with the
/// package's inline plotly.js, never with the CDN script tag XPlot itself writes.
/// </summary>
[Collection(NotebookRunnerCollection.Name)]
public sealed class XPlotDisplayTests(NotebookRunnerFixture fx)
{
    [Fact]
    public async Task XPlotChartIsDrawnWithInlinePlotlyJs()
    {
        var result = await fx.RunAsync(Build(
            "#r \"nuget: XPlot.Plotly, 4.1.0\"\nusing XPlot.Plotly;\n" +
            "var chart = Chart.Plot(new Scatter { x = new[] { 1, 2, 3 }, y = new[] { 4.5, 5.5, 7.25 }, name = \"series-a\" });\n" +
            "chart.WithTitle(\"xplot title\");\ndisplay(chart);"));
        Assert.True(result.Succeeded, result.Failure?.ToString());
        var output = Assert.Single(OutputsOf(result, 0))!.AsObject();
        string html = Text(output["data"]!["text/html"]);
        Assert.Contains("series-a", html);
        Assert.Contains("7.25", html);
        Assert.Contains("xplot title", html);
        Assert.Contains("newPlot", html);
        Assert.DoesNotContain("src=\"https://cdn.plot.ly", html);
        Assert.DoesNotContain("<script src", html);
        // plotly.js itself is inline (the library's copy, several MB).
        Assert.Contains(ECQx.Plots.PlotlyJs.Source[..2000], html);
        Assert.Equal("XPlot.Plotly chart", Text(output["data"]!["text/plain"]));
    }
}
