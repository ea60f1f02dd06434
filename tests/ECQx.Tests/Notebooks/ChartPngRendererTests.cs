using System.Text.Json.Nodes;
using ECQx.Notebooks;
using ECQx.Notebooks.Nbformat;
using ECQx.Tests.Plots;
using Xunit;
using static ECQx.Tests.Notebooks.NotebookRunnerFixture;

namespace ECQx.Tests.Notebooks;

[Collection(NotebookRunnerCollection.Name)]
public sealed class ChartPngRendererTests(NotebookRunnerFixture fx)
{
    /// <summary>plotly.js' first default trace colour, #1f77b4.</summary>
    private static readonly (byte R, byte G, byte B) PlotlyBlue = (0x1f, 0x77, 0xb4);

    private static JsonObject Figure(string data, string layout) =>
        JsonNode.Parse($"{{\"data\": {data}, \"layout\": {layout}, \"config\": {{}}}}")!.AsObject();

    [ChromiumFact]
    public void ABarChartRendersAtTheLayoutSizeWithItsBarInPlotlysColour()
    {
        using var renderer = new ChartPngRenderer(ChartPngRenderer.FindChromium());
        byte[]? png = renderer.TryRender(Figure("[{\"type\": \"bar\", \"x\": [\"a\", \"b\"], \"y\": [1, 3]}]", "{\"width\": 640, \"height\": 360, \"title\": {\"text\": \"two bars\"}}"));
        Assert.True(png is not null, renderer.UnavailableReason);
        var image = PngImage.Decode(png);
        Assert.Equal((640, 360), (image.Width, image.Height));
        Assert.True(image.GreyVariance() > 100, $"grey variance {image.GreyVariance():F1}: the image looks blank");
        // two bars in the default colour cover a sizeable area (bar b is three times as tall as bar a)
        int blue = image.CountColour(PlotlyBlue.R, PlotlyBlue.G, PlotlyBlue.B);
        Assert.InRange(blue, 10_000, 640 * 360 / 2);

        // a second chart in the same browser, without a size: the defaults, and different pixels
        byte[]? second = renderer.TryRender(Figure("[{\"type\": \"scatter\", \"mode\": \"lines\", \"x\": [0, 1, 2], \"y\": [0, 1, 0]}]", "{}"));
        var line = PngImage.Decode(second!);
        Assert.Equal((ChartPngRenderer.DefaultWidth, ChartPngRenderer.DefaultHeight), (line.Width, line.Height));
        Assert.True(line.CountColour(PlotlyBlue.R, PlotlyBlue.G, PlotlyBlue.B, tolerance: 30) < blue, "a thin line covers less than two bars");
    }

    [Fact]
    public void WithoutChromiumABundleKeepsItsFormsAndTheReasonIsStated()
    {
        using var renderer = new ChartPngRenderer(null);
        var bundle = new MimeBundle().SetJson("application/vnd.plotly.v1+json", Figure("[]", "{}")).SetText("text/plain", "chart");
        var same = renderer.AddPng(bundle);
        Assert.Equal(new[] { "application/vnd.plotly.v1+json", "text/plain" }, same.MimeTypes);
        Assert.Contains("no Chromium", renderer.UnavailableReason);
        Assert.Null(renderer.TryRender(Figure("[]", "{}")));
    }

    [Fact]
    public void TheSizeComesFromTheLayoutAndImplausibleValuesFallBackToTheDefault()
    {
        Assert.Equal((300, 200), ChartPngRenderer.SizeOf(Figure("[]", "{\"width\": 300, \"height\": 200}")));
        Assert.Equal((ChartPngRenderer.DefaultWidth, ChartPngRenderer.DefaultHeight), ChartPngRenderer.SizeOf(Figure("[]", "{\"width\": -5, \"height\": \"tall\"}")));
    }

    /// <summary>Every chart output of a run carries a PNG, decoded to a non-blank image.</summary>
    [ChromiumFact]
    public async Task ChartOutputsOfANotebookRunCarryAPng()
    {
        var result = await fx.RunAsync(Build(
            "var results = new[] { new QuantizationResult(\"ECQ\", 2, 80, 60), new QuantizationResult(\"ECQx\", 2, 82, 65) };",
            "display(Figures.AccuracyVsSparsity(results));",
            "Figures.WeightHistogram(new float[] { -0.2f, -0.1f, 0f, 0f, 0.1f, 0.25f }, new double[] { -0.2, 0, 0.2 }, bins: 10)"));
        Assert.True(result.Succeeded, result.Failure?.ToString());
        var charts = result.Notebook.Cells.SelectMany(c => c!["outputs"]!.AsArray()).Select(o => o!["data"]).OfType<JsonObject>()
            .Where(d => d.ContainsKey("application/vnd.plotly.v1+json")).ToList();
        Assert.Equal(2, charts.Count);
        foreach (var data in charts)
        {
            Assert.True(data["image/png"] is not null, "chart output without image/png");
            var image = PngImage.Decode(Convert.FromBase64String(Text(data["image/png"])));
            Assert.True(image.GreyVariance() > 100);
        }
    }
}
