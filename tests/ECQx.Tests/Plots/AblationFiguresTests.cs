using System.Text.Json.Nodes;
using ECQx.Plots;
using Xunit;

namespace ECQx.Tests.Plots;

public sealed class AblationFiguresTests
{
    private static JsonObject Figure(Plotly.NET.GenericChart chart) => ChartHtml.FigureJson(chart);

    private static double[] Doubles(JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    [Fact]
    public void SpreadShowsEveryObservationAndTheMeanWithTheSampleStandardDeviation()
    {
        // a: 1, 2, 3 → mean 2, sd 1; b: 10 alone → mean 10, sd 0
        var fig = Figure(AblationFigures.Spread(new[] { new CategoryValue("a", 1), new CategoryValue("b", 10), new CategoryValue("a", 3), new CategoryValue("a", 2) },
            "accuracy", "spread", referenceLine: 0));
        var traces = fig["data"]!.AsArray();
        Assert.Equal(new[] { 1.0, 10, 3, 2 }, Doubles(traces[0]!["y"]));
        Assert.Equal(new[] { "a", "b" }, traces[1]!["x"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(new[] { 2.0, 10 }, Doubles(traces[1]!["y"]));
        Assert.Equal(new[] { 1.0, 0 }, Doubles(traces[1]!["error_y"]!["array"]));
        Assert.Equal("spread", fig["layout"]!["title"]!["text"]!.GetValue<string>());
        Assert.Equal(0.0, fig["layout"]!["shapes"]![0]!["y0"]!.GetValue<double>());
        Assert.Contains("(b)", Assert.Throws<ArgumentException>(() => AblationFigures.Spread(new[] { new CategoryValue("b", double.NaN) }, "y")).Message);
    }

    [Fact]
    public void AgreementMatrixKeepsItsCellsAndLeavesNaNEmpty()
    {
        var labels = new[] { "x", "y" };
        var fig = Figure(AblationFigures.AgreementMatrix(labels, new[] { new[] { 1.0, 0.25 }, new[] { 0.25, double.NaN } }, "agreement"));
        var z = fig["data"]![0]!["z"]!.AsArray();
        Assert.Equal(0.25, z[0]![1]!.GetValue<double>());
        Assert.Null(z[1]![1]);
        Assert.Equal("0.25", fig["data"]![0]!["text"]![1]![0]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => AblationFigures.AgreementMatrix(labels, new[] { new[] { 1.0 } }));
    }
}

public sealed class ChartTitleTests
{
    [Fact]
    public void WithTitleSetsTheTitleAndKeepsTheRestOfTheLayout()
    {
        var chart = Figures.PerLayerBars(new[] { new LayerValue("fc1", "ECQ", 1) }, "sparsity (%)").WithTitle("fc1: sparsity");
        var layout = ChartHtml.FigureJson(chart)["layout"]!;
        Assert.Equal("fc1: sparsity", layout["title"]!["text"]!.GetValue<string>());
        Assert.Equal("group", layout["barmode"]!.GetValue<string>());
        Assert.Equal("sparsity (%)", layout["yaxis"]!["title"]!["text"]!.GetValue<string>());
    }
}
