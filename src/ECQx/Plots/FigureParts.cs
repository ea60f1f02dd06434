using Plotly.NET;
using ECQx.Results;

namespace ECQx.Plots;

/// <summary>Small pieces the figure builders share: traces in plotly.js' own vocabulary, axes, colours, validation.</summary>
internal static class FigureParts
{
    /// <summary>plotly.js' default colour cycle.</summary>
    internal static readonly string[] Palette =
        ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52"];

    /// <summary>Line dash per method index (solid, dash, dot, ...).</summary>
    internal static readonly string[] Dashes = ["solid", "dash", "dot", "dashdot", "longdash"];

    /// <summary>Marker symbol per method index.</summary>
    internal static readonly string[] Symbols = ["circle", "diamond", "square", "triangle-up", "x"];

    internal static string Color(int index) => Palette[index % Palette.Length];

    /// <summary>
    /// The diverging colour scale of signed maps (relevance): blue for negative, white at zero, red for positive, spelled out
    /// rather than plotly's named "RdBu", whose low end is blue only when not reversed, so the sign can't silently flip.
    /// Use with <see cref="SetDivergingScale"/>, which also centres it on zero.
    /// </summary>
    internal static readonly object[][] DivergingScale = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]];

    /// <summary>Gives a heatmap trace <see cref="DivergingScale"/> over the symmetric range [−absMax, absMax], so zero is white
    /// and the colour bar's red end is the positive one.</summary>
    internal static void SetDivergingScale(Trace trace, double absMax)
    {
        double bound = Math.Max(absMax, 1e-30);
        trace.SetProperty("colorscale", DivergingScale);
        trace.SetProperty("zmid", 0.0);
        trace.SetProperty("zmin", -bound);
        trace.SetProperty("zmax", bound);
    }

    internal static Trace2D Scatter(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, string mode)
    {
        var trace = new Trace2D("scatter");
        trace.SetProperty("name", name);
        trace.SetProperty("x", x.ToArray());
        trace.SetProperty("y", y.ToArray());
        trace.SetProperty("mode", mode);
        return trace;
    }

    internal static Trace2D Bar(string name, IReadOnlyList<string> x, IReadOnlyList<double> y, string color)
    {
        var trace = new Trace2D("bar");
        trace.SetProperty("name", name);
        trace.SetProperty("x", x.ToArray());
        trace.SetProperty("y", y.ToArray());
        trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = color });
        return trace;
    }

    /// <summary>One bar per bin of <paramref name="bins"/> (at its centre, as wide as the bin), heights <paramref name="y"/>.</summary>
    internal static Trace2D BinBars(string name, WeightBins bins, Array y, int colorIndex, double? opacity = null)
    {
        var trace = new Trace2D("bar");
        trace.SetProperty("name", name);
        trace.SetProperty("x", bins.Centers);
        trace.SetProperty("y", y);
        trace.SetProperty("width", bins.BinWidth);
        if (opacity is double o) trace.SetProperty("opacity", o);
        trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = Color(colorIndex) });
        return trace;
    }

    /// <summary>A grey dotted vertical line over the whole plot height at each centroid (layout <c>shapes</c>).</summary>
    internal static object[] CentroidLines(IEnumerable<double> centroids) => centroids.Select(c => (object)new Dictionary<string, object>
    {
        ["type"] = "line", ["xref"] = "x", ["yref"] = "paper", ["x0"] = c, ["x1"] = c, ["y0"] = 0, ["y1"] = 1,
        ["line"] = new Dictionary<string, object> { ["color"] = "#888", ["width"] = 1, ["dash"] = "dot" },
    }).ToArray();

    internal static Dictionary<string, object> Axis(string title, string? type = null)
    {
        var axis = new Dictionary<string, object>
        {
            ["title"] = new Dictionary<string, object> { ["text"] = title },
            ["zeroline"] = false,
        };
        if (type is not null) axis["type"] = type;
        return axis;
    }

    internal static Layout NewLayout(string? title, int height)
    {
        var layout = new Layout();
        if (!string.IsNullOrEmpty(title)) layout.SetProperty("title", new Dictionary<string, object> { ["text"] = title });
        layout.SetProperty("height", height);
        layout.SetProperty("autosize", true);
        layout.SetProperty("hovermode", "closest");
        return layout;
    }

    /// <summary>One chart from the traces and layout, on Plotly.NET's default template, width left to the page.</summary>
    internal static GenericChart Assemble(IReadOnlyList<Trace> traces, Layout layout)
    {
        if (traces.Count == 0) throw new ArgumentException("A figure needs at least one trace.");
        GenericChart chart = GenericChart.combine(traces.Select(t => GenericChart.ofTraceObject(true, t)).ToArray());
        chart = GenericChart.addLayout(layout, chart);
        // Plotly.NET's defaults fix the width at 600 px; charts here fill their container instead.
        GenericChart.getLayout(chart).RemoveProperty("width");
        return chart;
    }

    /// <summary>A dashed horizontal line across the plot at <paramref name="accuracy"/> (%), labelled as the FP baseline.</summary>
    internal static void AddBaselineLine(Layout layout, double accuracy)
    {
        RequirePercent(accuracy, "Baseline accuracy");
        layout.SetProperty("shapes", new object[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "line", ["xref"] = "paper", ["yref"] = "y", ["x0"] = 0, ["x1"] = 1, ["y0"] = accuracy, ["y1"] = accuracy,
                ["line"] = new Dictionary<string, object> { ["color"] = "#444", ["width"] = 1.5, ["dash"] = "dash" },
            },
        });
        layout.SetProperty("annotations", new object[]
        {
            new Dictionary<string, object>
            {
                ["text"] = FormattableString.Invariant($"FP baseline {accuracy:0.##} %"), ["xref"] = "paper", ["yref"] = "y", ["x"] = 1, ["y"] = accuracy,
                ["xanchor"] = "right", ["yanchor"] = "bottom", ["showarrow"] = false, ["font"] = new Dictionary<string, object> { ["color"] = "#444" },
            },
        });
    }

    /// <summary>Every value finite, or an error naming <paramref name="what"/> and the index.</summary>
    internal static void RequireAllFinite(IReadOnlyList<double> values, string what)
    {
        for (int i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i])) throw new ArgumentException($"{what} #{i} is {values[i]}; plots need finite numbers.");
    }

    internal static void RequireFinite(double value, string what)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{what} is {value}; plots need finite numbers.");
    }

    internal static void RequirePercent(double value, string what)
    {
        RequireFinite(value, what);
        if (value < 0 || value > 100) throw new ArgumentException($"{what} is {value}; expected a percentage between 0 and 100.");
    }

    /// <summary>Materialises and checks sweep results: non-empty, labelled, percentages in range.</summary>
    internal static List<QuantizationResult> CheckResults(IEnumerable<QuantizationResult> results, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(results, parameterName);
        var list = results.ToList();
        if (list.Count == 0) throw new ArgumentException("No results to plot.", parameterName);
        for (int i = 0; i < list.Count; i++)
        {
            QuantizationResult r = list[i] ?? throw new ArgumentException($"Result #{i} is null.", parameterName);
            if (string.IsNullOrWhiteSpace(r.Method)) throw new ArgumentException($"Result #{i} has no method name.", parameterName);
            if (r.BitWidth < 1) throw new ArgumentException($"Result #{i} ({r.Method}) has bit width {r.BitWidth}; expected at least 1.", parameterName);
            RequirePercent(r.AccuracyPercent, $"Result #{i} ({r.Method} {r.BitWidth}-bit) accuracy");
            RequirePercent(r.SparsityPercent, $"Result #{i} ({r.Method} {r.BitWidth}-bit) sparsity");
        }
        return list;
    }

    /// <summary>Distinct values in order of first appearance.</summary>
    internal static List<T> InOrder<T>(IEnumerable<T> values) => values.Distinct().ToList();

    internal static string HoverText(QuantizationResult r) =>
        FormattableString.Invariant(
            $"{r.Method} {r.BitWidth}-bit<br>accuracy {r.AccuracyPercent:0.##} %<br>sparsity {r.SparsityPercent:0.##} %")
        + (r.CompressionFactor is double f ? FormattableString.Invariant($"<br>×{f:0.#}") : "")
        + (r.Lambda is double l ? FormattableString.Invariant($"<br>Λ = {l:G4}") : "");
}
