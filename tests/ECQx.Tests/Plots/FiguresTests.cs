using System.Text.Json.Nodes;
using ECQx.Plots;
using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Plots;

public sealed class FiguresTests
{
    private static readonly QuantizationResult[] Sweep =
    [
        new("ECQ", 4, 91.0, 60.0, 20.0),
        new("ECQ", 4, 91.5, 30.0, 12.0),
        new("ECQx", 4, 91.4, 65.0, 25.0),
        new("ECQ", 2, 88.0, 80.0, 60.0),
        new("ECQ", 4, 90.0, 75.0, 30.0),
        new("ECQx", 2, 89.0, 82.0, 70.0),
    ];

    private static JsonArray Traces(Plotly.NET.GenericChart chart) => (JsonArray)ChartHtml.FigureJson(chart)["data"]!;

    private static JsonObject Layout(Plotly.NET.GenericChart chart) => (JsonObject)ChartHtml.FigureJson(chart)["layout"]!;

    private static double[] Numbers(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    [Fact]
    public void AccuracyVsSparsityHasOneSortedLinePerMethodAndBitWidthHoldingEveryPoint()
    {
        var chart = Figures.AccuracyVsSparsity(Sweep);
        var traces = Traces(chart);

        Assert.Equal(["ECQ 2-bit", "ECQ 4-bit", "ECQx 2-bit", "ECQx 4-bit"], traces.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal([30.0, 60.0, 75.0], Numbers(traces[1]!["x"]));
        Assert.Equal([91.5, 91.0, 90.0], Numbers(traces[1]!["y"]));
        // Every input point appears exactly once, paired as given.
        var plotted = traces.SelectMany(t => Numbers(t!["x"]).Zip(Numbers(t!["y"]))).Order().ToList();
        Assert.Equal(Sweep.Select(r => (r.SparsityPercent, r.AccuracyPercent)).Order(), plotted);
        // Colour follows the bit width, dash the method.
        string Colour(int i) => traces[i]!["line"]!["color"]!.GetValue<string>();
        string Dash(int i) => traces[i]!["line"]!["dash"]!.GetValue<string>();
        Assert.Equal(Colour(1), Colour(3));
        Assert.NotEqual(Colour(0), Colour(1));
        Assert.NotEqual(Dash(1), Dash(3));
        var layout = Layout(chart);
        Assert.Equal("sparsity (%)", layout["xaxis"]!["title"]!["text"]!.GetValue<string>());
        Assert.False(layout.ContainsKey("width")); // fills its container
    }

    [Fact]
    public void AccuracyVsCompressionUsesALogAxisAndNeedsEveryFactor()
    {
        var chart = Figures.AccuracyVsCompression(Sweep);
        Assert.Equal("log", Layout(chart)["xaxis"]!["type"]!.GetValue<string>());
        Assert.Equal([12.0, 20.0, 30.0], Numbers(Traces(chart)[1]!["x"]));

        var missing = Sweep.Append(new QuantizationResult("ECQ", 3, 90, 50)).ToArray();
        var e = Assert.Throws<ArgumentException>(() => Figures.AccuracyVsCompression(missing));
        Assert.Contains("Result #6 (ECQ 3-bit) has no compression factor", e.Message);
    }

    [Fact]
    public void MethodsSideBySideSplitsMethodsIntoPanelsSharingBitWidthLegend()
    {
        var extra = Sweep.Append(new QuantizationResult("ECQx", 5, 91.6, 50)).ToArray();
        var traces = Traces(Figures.MethodsSideBySide(extra));

        var left = traces.Where(t => t!["xaxis"]!.GetValue<string>() == "x").ToList();
        var right = traces.Where(t => t!["xaxis"]!.GetValue<string>() == "x2").ToList();
        Assert.Equal(["2-bit", "4-bit"], left.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(["2-bit", "4-bit", "5-bit"], right.Select(t => t!["name"]!.GetValue<string>()));
        Assert.All(right, t => Assert.Equal("y2", t!["yaxis"]!.GetValue<string>()));
        // One legend entry per bit width: the right panel only shows bit widths the left lacks.
        Assert.Equal([false, false, true], right.Select(t => t!["showlegend"]!.GetValue<bool>()));
        Assert.Equal(left[1]!["line"]!["color"]!.GetValue<string>(), right[1]!["line"]!["color"]!.GetValue<string>());

        var e = Assert.Throws<ArgumentException>(() => Figures.MethodsSideBySide(Sweep, "ECQ", "LRP"));
        Assert.Contains("'LRP'", e.Message);
        Assert.Contains("'ECQx'", e.Message);
    }

    [Fact]
    public void WeightHistogramConservesTheWeightsAndDrawsOneLinePerCentroid()
    {
        float[] weights = [-0.3f, -0.1f, 0f, 0f, 0f, 0.05f, 0.1f, 0.3f];
        double[] codebook = [-0.2, 0, 0.2];
        var chart = Figures.WeightHistogram(weights, codebook, bins: 6);
        var traces = Traces(chart);

        Assert.Equal(weights.Length, Numbers(traces[0]!["y"]).Sum());
        Assert.Equal(6, Numbers(traces[0]!["x"]).Length);
        Assert.Equal(codebook, Numbers(traces[1]!["x"]));
        var shapes = Layout(chart)["shapes"]!.AsArray();
        Assert.Equal(codebook, shapes.Select(s => s!["x0"]!.GetValue<double>()));
        Assert.All(shapes, s => Assert.Equal(s!["x0"]!.GetValue<double>(), s["x1"]!.GetValue<double>()));

        var e = Assert.Throws<ArgumentException>(() => Figures.WeightHistogram(new[] { 0f, float.NaN }, codebook));
        Assert.Contains("Weight #1 is NaN", e.Message);
    }

    [Fact]
    public void WeightBinsOfAHandComputedCase()
    {
        // Range [0, 1] in two bins of 0.5; 1.0 sits on the upper edge and belongs to the last bin.
        var bins = WeightBins.Compute([0.0, 0.1, 0.5, 0.9, 1.0], [0.0, 1.0], 2);
        Assert.Equal([2L, 3L], bins.Counts);
        Assert.Equal([0.25, 0.75], bins.Centers);
        Assert.Equal(0.5, bins.BinWidth);
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public bool WeightBinsCountEveryWeightOnceAndSpanThem(FsCheck.NormalFloat[] raw, FsCheck.PositiveInt binCount)
    {
        if (raw.Length == 0) return true;
        double[] w = raw.Select(x => x.Get).ToArray();
        int n = Math.Min(binCount.Get, 500);
        var bins = WeightBins.Compute(w, [], n);
        double lo = bins.Low, hi = bins.Low + n * bins.BinWidth;
        return bins.Counts.Sum() == w.Length
               && bins.Counts.All(c => c >= 0)
               && w.Min() >= lo - 1e-9 * Math.Max(1, Math.Abs(lo))
               && w.Max() <= hi + 1e-9 * Math.Max(1, Math.Abs(hi))
               && (w.Min() == w.Max() || (bins.Counts[0] > 0 && bins.Counts[^1] > 0)); // extremes sit in the end bins
    }

    [Fact]
    public void PerLayerBarsGroupSeriesByLayerAndLeaveGaps()
    {
        var chart = Figures.PerLayerBars(
        [
            new LayerValue("conv1", "ECQ", 10), new LayerValue("layer1.0.conv1", "ECQ", 40),
            new LayerValue("layer1.0.conv1", "ECQx", 55),
        ], "sparsity (%)");
        var traces = Traces(chart);

        Assert.Equal("group", Layout(chart)["barmode"]!.GetValue<string>());
        Assert.Equal(["conv1", "layer1.0.conv1"], traces[1]!["x"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Null(traces[1]!["y"]![0]);
        Assert.Equal(55.0, traces[1]!["y"]![1]!.GetValue<double>());

        var e = Assert.Throws<ArgumentException>(() => Figures.PerLayerBars([new LayerValue("a", "s", 1), new LayerValue("a", "s", 2)], "v"));
        Assert.Contains("'a' appears twice in series 's'", e.Message);
    }

    [Fact]
    public void MetricPerEpochSortsEpochs()
    {
        var traces = Traces(Figures.MetricPerEpoch([new EpochValue("acc", 3, 0.9), new EpochValue("acc", 1, 0.5), new EpochValue("loss", 1, 2)], "value"));
        Assert.Equal([1.0, 3.0], Numbers(traces[0]!["x"]));
        Assert.Equal([0.5, 0.9], Numbers(traces[0]!["y"]));
    }

    [Theory]
    [InlineData(101.0, 50.0, "accuracy is 101")]
    [InlineData(90.0, double.NaN, "sparsity is NaN")]
    public void OutOfRangePercentagesAreRejectedNamingTheRow(double accuracy, double sparsity, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Figures.AccuracyVsSparsity([new("ECQ", 4, 90, 50), new("ECQx", 3, accuracy, sparsity)]));
        Assert.Contains("Result #1 (ECQx 3-bit) " + message, e.Message);
    }

    [Fact]
    public void EmptyInputIsRejected() =>
        Assert.Throws<ArgumentException>(() => Figures.AccuracyVsSparsity([]));
}
