using Plotly.NET;
using ECQx.Results;

namespace ECQx.Plots;

/// <summary>
/// Plotly.NET figures for the ECQx experiments (spec §e), built from plain records and arrays: sweeps of
/// accuracy against sparsity or the ×-factor per bit width, ECQ beside ECQx, a layer's weight histogram with
/// its codebook, per-layer bars and training curves. Every builder checks its input and names the
/// offending row or value when something cannot be plotted.
/// </summary>
public static partial class Figures
{
    /// <summary>
    /// Accuracy (y) against sparsity (x): one line per method and bit width, points ordered by sparsity.
    /// Colour follows the bit width, line dash the method.
    /// </summary>
    /// <param name="results">The sweep.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="baselineAccuracy">When given, the full-precision baseline's accuracy (%) as a dashed horizontal line.</param>
    public static GenericChart AccuracyVsSparsity(IEnumerable<QuantizationResult> results, string? title = "Accuracy vs sparsity", double? baselineAccuracy = null)
    {
        var list = FigureParts.CheckResults(results, nameof(results));
        var traces = SweepTraces(list, r => r.SparsityPercent, xaxis: null, yaxis: null, legendFilter: null);
        Layout layout = FigureParts.NewLayout(title, 450);
        if (baselineAccuracy is double fp) FigureParts.AddBaselineLine(layout, fp);
        layout.SetProperty("xaxis", FigureParts.Axis("sparsity (%)"));
        layout.SetProperty("yaxis", FigureParts.Axis("top-1 accuracy (%)"));
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// Accuracy (y) against the compression factor (x, log scale; FP size / coded size): one line per
    /// method and bit width. Every result needs a <see cref="QuantizationResult.CompressionFactor"/> &gt; 0.
    /// </summary>
    /// <param name="results">The sweep.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="baselineAccuracy">When given, the full-precision baseline's accuracy (%) as a dashed horizontal line.</param>
    public static GenericChart AccuracyVsCompression(IEnumerable<QuantizationResult> results, string? title = "Accuracy vs compression", double? baselineAccuracy = null)
    {
        var list = FigureParts.CheckResults(results, nameof(results));
        for (int i = 0; i < list.Count; i++)
        {
            QuantizationResult r = list[i];
            if (r.CompressionFactor is not double f)
                throw new ArgumentException($"Result #{i} ({r.Method} {r.BitWidth}-bit) has no compression factor.", nameof(results));
            FigureParts.RequireFinite(f, $"Result #{i} ({r.Method} {r.BitWidth}-bit) compression factor");
            if (f <= 0) throw new ArgumentException($"Result #{i} ({r.Method} {r.BitWidth}-bit) compression factor is {f}; expected > 0.", nameof(results));
        }
        var traces = SweepTraces(list, r => r.CompressionFactor!.Value, xaxis: null, yaxis: null, legendFilter: null);
        Layout layout = FigureParts.NewLayout(title, 450);
        if (baselineAccuracy is double fp) FigureParts.AddBaselineLine(layout, fp);
        layout.SetProperty("xaxis", FigureParts.Axis("compression factor (×, FP size / coded size)", "log"));
        layout.SetProperty("yaxis", FigureParts.Axis("top-1 accuracy (%)"));
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// Two panels side by side with a shared accuracy axis: accuracy against sparsity per bit width for
    /// <paramref name="leftMethod"/> (left) and <paramref name="rightMethod"/> (right). A bit width has
    /// the same colour in both panels and one legend entry that toggles both.
    /// </summary>
    public static GenericChart MethodsSideBySide(
        IEnumerable<QuantizationResult> results, string leftMethod = "ECQ", string rightMethod = "ECQx", string? title = null)
    {
        var list = FigureParts.CheckResults(results, nameof(results));
        var methods = FigureParts.InOrder(list.Select(r => r.Method));
        foreach (string m in new[] { leftMethod, rightMethod })
            if (!methods.Contains(m))
                throw new ArgumentException($"No results for method '{m}'; the results have {string.Join(", ", methods.Select(x => $"'{x}'"))}.", nameof(results));

        var all = FigureParts.InOrder(list.Select(r => r.BitWidth)).Order().ToList();
        var left = list.Where(r => r.Method == leftMethod).ToList();
        var right = list.Where(r => r.Method == rightMethod).ToList();
        var leftBits = left.Select(r => r.BitWidth).ToHashSet();
        var traces = new List<Trace>();
        traces.AddRange(SweepTraces(left, r => r.SparsityPercent, "x", "y", legendFilter: _ => true, bitOrder: all, singleMethod: true));
        traces.AddRange(SweepTraces(right, r => r.SparsityPercent, "x2", "y2", legendFilter: b => !leftBits.Contains(b), bitOrder: all, singleMethod: true));

        Layout layout = FigureParts.NewLayout(title ?? $"{leftMethod} vs {rightMethod}", 450);
        var xLeft = FigureParts.Axis("sparsity (%)");
        xLeft["domain"] = new[] { 0.0, 0.46 };
        xLeft["anchor"] = "y";
        var xRight = FigureParts.Axis("sparsity (%)");
        xRight["domain"] = new[] { 0.54, 1.0 };
        xRight["anchor"] = "y2";
        xRight["matches"] = "x";
        var yLeft = FigureParts.Axis("top-1 accuracy (%)");
        yLeft["anchor"] = "x";
        var yRight = FigureParts.Axis("");
        yRight["anchor"] = "x2";
        yRight["matches"] = "y";
        layout.SetProperty("xaxis", xLeft);
        layout.SetProperty("xaxis2", xRight);
        layout.SetProperty("yaxis", yLeft);
        layout.SetProperty("yaxis2", yRight);
        layout.SetProperty("annotations", new object[] { PanelTitle(leftMethod, 0.23), PanelTitle(rightMethod, 0.77) });
        layout.SetProperty("margin", new Dictionary<string, object> { ["t"] = 80 });
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// Histogram of one layer's weights (counts per bin, as bars) with a dashed vertical line at every
    /// codebook centroid, plus a marker trace of the centroids for hovering. The bins span the weights and
    /// the centroids. <paramref name="logCounts"/> puts the counts on a log axis (useful when the zero
    /// cluster dominates a sparse layer).
    /// </summary>
    public static GenericChart WeightHistogram(
        ReadOnlySpan<float> weights, ReadOnlySpan<double> codebook, int bins = 101, string? title = "Weights and codebook", bool logCounts = false)
    {
        var w = new double[weights.Length];
        for (int i = 0; i < weights.Length; i++) w[i] = weights[i];
        return WeightHistogram(w, codebook, bins, title, logCounts);
    }

    /// <inheritdoc cref="WeightHistogram(ReadOnlySpan{float}, ReadOnlySpan{double}, int, string?, bool)"/>
    public static GenericChart WeightHistogram(
        ReadOnlySpan<double> weights, ReadOnlySpan<double> codebook, int bins = 101, string? title = "Weights and codebook", bool logCounts = false)
    {
        WeightBins h = WeightBins.Compute(weights, codebook, bins);
        var bars = FigureParts.BinBars($"weights (n = {weights.Length})", h, h.Counts, 0);

        double[] centroids = codebook.ToArray();
        var marks = new Trace2D("scatter");
        marks.SetProperty("name", $"codebook ({centroids.Length} centroids)");
        marks.SetProperty("x", centroids);
        marks.SetProperty("y", new double[centroids.Length]);
        marks.SetProperty("mode", "markers");
        marks.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(1), ["symbol"] = "diamond", ["size"] = 9 });
        marks.SetProperty("cliponaxis", false);

        Layout layout = FigureParts.NewLayout(title, 400);
        layout.SetProperty("xaxis", FigureParts.Axis("weight value"));
        layout.SetProperty("yaxis", FigureParts.Axis("count", logCounts ? "log" : null));
        layout.SetProperty("bargap", 0);
        layout.SetProperty("shapes", centroids.Select(c => (object)new Dictionary<string, object>
        {
            ["type"] = "line", ["xref"] = "x", ["yref"] = "paper", ["x0"] = c, ["x1"] = c, ["y0"] = 0, ["y1"] = 1,
            ["line"] = new Dictionary<string, object> { ["color"] = FigureParts.Color(1), ["width"] = 1, ["dash"] = "dash" },
        }).ToArray());
        return FigureParts.Assemble(new Trace[] { bars, marks }, layout);
    }

    /// <summary>
    /// Grouped bars: one group per layer (x, in order of first appearance), one bar colour per series.
    /// A layer a series does not mention is left empty; the same layer twice in one series is an error.
    /// </summary>
    public static GenericChart PerLayerBars(IEnumerable<LayerValue> values, string valueTitle, string? title = null) =>
        GroupedBars(values, "layer", valueTitle, title);

    /// <summary>Training curves: one line per series, points ordered by epoch; an epoch twice in one series is an error.</summary>
    public static GenericChart MetricPerEpoch(IEnumerable<EpochValue> values, string valueTitle, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0) throw new ArgumentException("No epoch values to plot.", nameof(values));
        var seen = new HashSet<(string, int)>();
        for (int i = 0; i < list.Count; i++)
        {
            EpochValue v = list[i] ?? throw new ArgumentException($"Epoch value #{i} is null.", nameof(values));
            FigureParts.RequireFinite(v.Value, $"Epoch value #{i} ({v.Series}, epoch {v.Epoch})");
            if (!seen.Add((v.Series, v.Epoch)))
                throw new ArgumentException($"Epoch {v.Epoch} appears twice in series '{v.Series}' (value #{i}).", nameof(values));
        }
        var series = FigureParts.InOrder(list.Select(v => v.Series));
        var traces = new List<Trace>();
        for (int s = 0; s < series.Count; s++)
        {
            var points = list.Where(v => v.Series == series[s]).OrderBy(v => v.Epoch).ToList();
            var trace = FigureParts.Scatter(series[s], points.Select(p => (double)p.Epoch).ToList(), points.Select(p => p.Value).ToList(), "lines+markers");
            trace.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(s) });
            trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(s) });
            traces.Add(trace);
        }
        Layout layout = FigureParts.NewLayout(title, 400);
        layout.SetProperty("xaxis", FigureParts.Axis("epoch"));
        layout.SetProperty("yaxis", FigureParts.Axis(valueTitle));
        return FigureParts.Assemble(traces, layout);
    }

    private static Dictionary<string, object> PanelTitle(string text, double x) => new()
    {
        ["text"] = $"<b>{System.Net.WebUtility.HtmlEncode(text)}</b>", ["x"] = x, ["y"] = 1.0, ["xref"] = "paper", ["yref"] = "paper",
        ["xanchor"] = "center", ["yanchor"] = "bottom", ["showarrow"] = false,
    };

    /// <summary>
    /// One lines+markers trace per (method, bit width), points sorted by x. Colour by bit width (index in
    /// <paramref name="bitOrder"/>), dash and symbol by method. Names are "<c>method b-bit</c>", or
    /// "<c>b-bit</c>" with <paramref name="singleMethod"/>.
    /// </summary>
    private static List<Trace> SweepTraces(
        List<QuantizationResult> list, Func<QuantizationResult, double> x, string? xaxis, string? yaxis,
        Func<int, bool>? legendFilter, IReadOnlyList<int>? bitOrder = null, bool singleMethod = false)
    {
        var methods = FigureParts.InOrder(list.Select(r => r.Method));
        var bits = bitOrder ?? FigureParts.InOrder(list.Select(r => r.BitWidth)).Order().ToList();
        var traces = new List<Trace>();
        for (int m = 0; m < methods.Count; m++)
        {
            foreach (int b in bits)
            {
                var points = list.Where(r => r.Method == methods[m] && r.BitWidth == b).OrderBy(x).ToList();
                if (points.Count == 0) continue;
                int colour = bits.ToList().IndexOf(b);
                string name = singleMethod ? $"{b}-bit" : $"{methods[m]} {b}-bit";
                Trace2D trace = FigureParts.Scatter(name, points.Select(x).ToList(), points.Select(r => r.AccuracyPercent).ToList(), "lines+markers");
                trace.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(colour), ["dash"] = FigureParts.Dashes[m % FigureParts.Dashes.Length] });
                trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(colour), ["symbol"] = FigureParts.Symbols[m % FigureParts.Symbols.Length], ["size"] = 8 });
                trace.SetProperty("text", points.Select(FigureParts.HoverText).ToArray());
                trace.SetProperty("hoverinfo", "text");
                if (xaxis is not null) trace.SetProperty("xaxis", xaxis);
                if (yaxis is not null) trace.SetProperty("yaxis", yaxis);
                if (legendFilter is not null)
                {
                    trace.SetProperty("legendgroup", $"{b}-bit");
                    trace.SetProperty("showlegend", legendFilter(b));
                }
                traces.Add(trace);
            }
        }
        return traces;
    }
}
