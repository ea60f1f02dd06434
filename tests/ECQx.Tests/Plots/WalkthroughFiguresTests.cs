using System.Text.Json.Nodes;
using ECQx.Experiments;
using ECQx.Plots;
using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Plots;

/// <summary>The figure builders of the walk-through notebooks: hand-computed values, titles, and errors that name the bad input.</summary>
public sealed class WalkthroughFiguresTests
{
    private static JsonArray Traces(Plotly.NET.GenericChart chart) => (JsonArray)ChartHtml.FigureJson(chart)["data"]!;
    private static JsonObject Layout(Plotly.NET.GenericChart chart) => (JsonObject)ChartHtml.FigureJson(chart)["layout"]!;
    private static double[] Numbers(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
    private static string Title(Plotly.NET.GenericChart chart) => Layout(chart)["title"]!["text"]!.GetValue<string>();

    [Fact]
    public void EcqCostEnvelopeIsTheMinimumOfTheLiftedParabolas()
    {
        // Centroids −1, 0, 1 with 2, 1, 2 bits, λ = 0.5: costs at w = −1, 0, 1 are [1, 2, 5], [1.5, 0.5, 1.5], [5, 2, 1].
        var (w, costs, envelope) = Figures.EcqCosts(new[] { -1.0, 0, 1 }, new[] { 2.0, 1, 2 }, 0.5, -1, 1, 3);
        Assert.Equal(new[] { -1.0, 0, 1 }, w);
        Assert.Equal(new[] { 1.5, 0.5, 1.5 }, costs[1].Cost);
        Assert.Equal(new[] { 1.0, 0.5, 1.0 }, envelope);
        // An empty cluster (infinite information) is never chosen and not drawn.
        var (_, drawn, _) = Figures.EcqCosts(new[] { -1.0, 0, 1 }, new[] { double.PositiveInfinity, 1, 2 }, 0.5, -1, 1, 3);
        Assert.Equal(new[] { 1, 2 }, drawn.Select(c => c.K));
        var chart = Figures.EcqCostCurves(new[] { -1.0, 0, 1 }, new[] { 2.0, 1, 2 }, 0.5, -1, 1, "cost", 3);
        Assert.Equal(4, Traces(chart).Count);                              // three centroids and the envelope
        Assert.Equal("cost", Title(chart));
        Assert.Throws<ArgumentException>(() => Figures.EcqCostCurves(new[] { 0.0 }, new[] { 1.0, 2.0 }, 0.5, -1, 1));
    }

    [Fact]
    public void WaveformEnvelopeKeepsEveryChunksExtremes()
    {
        var samples = Enumerable.Range(0, 10_000).Select(i => (float)Math.Sin(i * 0.01)).ToArray();
        samples[4321] = 0.99f * -1.5f;                                       // a spike the thinning must keep
        var (t, y) = Figures.WaveformEnvelope(samples, 1000, 400);
        Assert.True(y.Length <= 400);
        Assert.Equal(samples.Min(), y.Min());
        Assert.Equal(samples.Max(), y.Max());
        Assert.Contains(4.321, t);
        Assert.True(t.Zip(t.Skip(1)).All(p => p.First <= p.Second), "time runs forward");
        var (tAll, yAll) = Figures.WaveformEnvelope(samples.AsSpan(0, 50), 1000, 400);
        Assert.Equal(50, yAll.Length);                                       // short signals are drawn whole
        Assert.Equal(0.049, tAll[^1], 12);
    }

    [Fact]
    public void RelevanceSharesAreShareOfCountAndShareOfAbsoluteRelevance()
    {
        double[] w = [-1, -1, 0, 1];
        double[] absR = [1, 1, 0, 2];
        var range = WeightBins.Compute(w, Array.Empty<double>(), 2);         // bins [−1, 0) and [0, 1]
        var (count, rel) = Figures.RelevanceShares(w, absR, range);
        Assert.Equal(new[] { 50.0, 50.0 }, count);
        Assert.Equal(new[] { 50.0, 50.0 }, rel);
        var (_, rel2) = Figures.RelevanceShares(w, new double[] { 0, 0, 1, 3 }, range);
        Assert.Equal(new[] { 0.0, 100.0 }, rel2);
    }

    [Fact]
    public void BaselineIsADashedLineAtItsAccuracy()
    {
        var chart = Figures.AccuracyVsSparsity(new QuantizationResult[] { new("ECQ", 4, 80, 50) }, "t", baselineAccuracy: 91.25);
        var shape = Layout(chart)["shapes"]![0]!;
        Assert.Equal(91.25, shape["y0"]!.GetValue<double>());
        Assert.Equal(91.25, shape["y1"]!.GetValue<double>());
        Assert.Contains("91.25", Layout(chart)["annotations"]![0]!["text"]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => Figures.AccuracyVsSparsity(new QuantizationResult[] { new("ECQ", 4, 80, 50) }, "t", 101));
    }

    [Fact]
    public void MatchedSparsityGapDrawsOneLinePerBitWidthOrSaysThatNothingOverlaps()
    {
        var points = new[] { new MatchedSparsityPoint(4, 70, 80, 84), new MatchedSparsityPoint(4, 30, 85, 88), new MatchedSparsityPoint(2, 50, 60, 70) };
        var traces = Traces(Figures.MatchedSparsityGap(points));
        Assert.Equal(new[] { "2-bit", "4-bit" }, traces.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(new[] { 30.0, 70.0 }, Numbers(traces[1]!["x"]));
        Assert.Equal(new[] { 3.0, 4.0 }, Numbers(traces[1]!["y"]));
        var empty = Figures.MatchedSparsityGap(Array.Empty<MatchedSparsityPoint>(), title: "gap");
        Assert.Equal("gap", Title(empty));
        Assert.Contains("share no sparsity range", Layout(empty)["annotations"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void CodebooksOverWeightsHasOneDiamondRowPerBitWidth()
    {
        double[] w = [-0.3, -0.1, 0, 0.05, 0.2];
        var chart = Figures.CodebooksOverWeights(w, new[] { (2, new[] { -0.2, 0, 0.2, 0.4 }), (3, new[] { -0.1, 0, 0.1 }) }, 11, "cb");
        var traces = Traces(chart);
        Assert.Equal(3, traces.Count);
        Assert.Equal(new[] { 2.0, 2, 2, 2 }, Numbers(traces[1]!["y"]));
        Assert.Equal(5.0, Numbers(traces[0]!["y"]).Sum());                   // every weight counted once
    }

    [Fact]
    public void WeightHistogramOverlayCountsEachSeriesOnSharedBins()
    {
        var chart = Figures.WeightHistogramOverlay(new[] { ("a", new double[] { 0, 0, 1 }), ("b", new double[] { 1, 1 }) }, new[] { 0.0, 1.0 }, 2);
        var traces = Traces(chart);
        Assert.Equal(new[] { 2.0, 1.0 }, Numbers(traces[0]!["y"]));
        Assert.Equal(new[] { 0.0, 2.0 }, Numbers(traces[1]!["y"]));
        Assert.Equal(Numbers(traces[0]!["x"]), Numbers(traces[1]!["x"]));
    }

    [Fact]
    public void HeatmapAndBarsRejectBadInputByName()
    {
        var ragged = new IReadOnlyList<double>[] { new[] { 1.0, 2 }, new[] { 3.0 } };
        Assert.Contains("Row 1 has 1 values", Assert.Throws<ArgumentException>(() => Figures.Heatmap(ragged, "x", "y")).Message);
        var nan = new IReadOnlyList<double>[] { new[] { 1.0, double.NaN } };
        Assert.Contains("[0][1]", Assert.Throws<ArgumentException>(() => Figures.Heatmap(nan, "x", "y")).Message);
        var twice = new[] { new LayerValue("cat", "train", 1), new LayerValue("cat", "train", 2) };
        Assert.Contains("Class 'cat' appears twice", Assert.Throws<ArgumentException>(() => Figures.GroupedBars(twice, "class", "n")).Message);
        var heat = Figures.Heatmap(new IReadOnlyList<double>[] { new[] { -2.0, 1 } }, "x", "y", diverging: true);
        Assert.Equal(-2.0, Traces(heat)[0]!["zmin"]!.GetValue<double>());
        Assert.Equal(2.0, Traces(heat)[0]!["zmax"]!.GetValue<double>());
    }

    /// <summary>The diverging scale is zero-centred with red at the positive end and blue at the negative end, with no
    /// reversal flag that could flip it (plotly's named "RdBu" runs blue → red, so "reversescale" made red negative).</summary>
    [Fact]
    public void DivergingHeatmapIsZeroCentredWithRedPositive()
    {
        var trace = Traces(Figures.Heatmap(new IReadOnlyList<double>[] { new[] { -0.5, 3.0 } }, "x", "y", diverging: true))[0]!;
        Assert.Equal(0.0, trace["zmid"]!.GetValue<double>());
        Assert.Equal(-trace["zmax"]!.GetValue<double>(), trace["zmin"]!.GetValue<double>());
        Assert.Equal(3.0, trace["zmax"]!.GetValue<double>());
        Assert.Null(trace["reversescale"]);
        var scale = trace["colorscale"]!.AsArray();
        (double At, string Colour) Stop(int i) => (scale[i]![0]!.GetValue<double>(), scale[i]![1]!.GetValue<string>());
        Assert.Equal((0.0, "#2166ac"), Stop(0));                  // blue: the most negative value
        Assert.Equal((0.5, "#f7f7f7"), Stop(scale.Count / 2));     // white: zero, the middle of [−3, 3]
        Assert.Equal((1.0, "#b2182b"), Stop(scale.Count - 1));     // red: the most positive value
        var relevanceMap = Traces(Figures.ImageRelevanceMaps(new[] { new float[12] }, new[] { new float[] { 1, -2, 0, 0 } }, 2, 2, new[] { "a" }))[1]!;
        Assert.Equal(scale.ToJsonString(), relevanceMap["colorscale"]!.ToJsonString());
        Assert.Equal(-2.0, relevanceMap["zmin"]!.GetValue<double>());
    }

    [Fact]
    public void ImageRelevanceMapsHasAnImageAndAMapPerInput()
    {
        var img = Enumerable.Repeat(0.5f, 3 * 4).ToArray();
        var rel = new float[] { 1, -1, 0, 2 };
        var chart = Figures.ImageRelevanceMaps(new[] { img, img }, new[] { rel, rel }, 2, 2, new[] { "a", "b" });
        var traces = Traces(chart);
        Assert.Equal(new[] { "image", "heatmap", "image", "heatmap" }, traces.Select(t => t!["type"]!.GetValue<string>()));
        Assert.Equal(128, traces[0]!["z"]![0]![0]![0]!.GetValue<int>());
        // Zero-centred, red = positive: the scale's top (z = +max |R|) is red, its bottom blue, and nothing reverses it.
        var map = traces[1]!;
        Assert.Equal(-2.0, map["zmin"]!.GetValue<double>());
        Assert.Equal(2.0, map["zmax"]!.GetValue<double>());
        Assert.Null(map["reversescale"]);
        var scale = map["colorscale"]!.AsArray();
        Assert.Equal("#b2182b", scale[^1]![1]!.GetValue<string>());
        Assert.Equal("#2166ac", scale[0]![1]!.GetValue<string>());
        Assert.Equal(2, Traces(Figures.ImageGrid(new[] { img, img }, 2, 2, new[] { "a", "b" })).Count);
        Assert.Throws<ArgumentException>(() => Figures.ImageRelevanceMaps(new[] { img }, new[] { rel, rel }, 2, 2, new[] { "a" }));
        Assert.Throws<ArgumentException>(() => Figures.ImageGrid(new[] { new float[5] }, 2, 2, new[] { "a" }));
    }

    [Fact]
    public void RelevanceVsMagnitudeThinsLargeGroupsDeterministically()
    {
        var absW = Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToArray();
        var rel = absW.Select(x => x * x).ToArray();
        var groups = absW.Select((_, i) => i < 900 ? "big" : "small").ToArray();
        var traces = Traces(Figures.RelevanceVsMagnitude(absW, rel, groups, maxPointsPerGroup: 300));
        Assert.Equal(300, Numbers(traces[0]!["x"]).Length);                 // 900 weights, every 3rd
        Assert.Equal(100, Numbers(traces[1]!["x"]).Length);
        Assert.StartsWith("big (n = 900, 1 in 3 shown)", traces[0]!["name"]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => Figures.RelevanceVsMagnitude(absW, rel.Take(5).ToArray()));
    }
}
