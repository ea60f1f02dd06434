using Plotly.NET;

namespace ECQx.Plots;

/// <summary>One observation of a category (e.g. one seed's accuracy for one relevance method).</summary>
/// <param name="Category">The category on the x axis (method name).</param>
/// <param name="Value">The observed value.</param>
public sealed record CategoryValue(string Category, double Value);

/// <summary>Figures of ablations: the spread of repeated runs per category, and a matrix of pairwise agreements.</summary>
public static class AblationFigures
{
    /// <summary>
    /// One column per category (in order of first appearance): every observation as a small marker, and the mean
    /// with a ± one standard deviation bar beside them. NaN/infinite values are an error naming the observation.
    /// </summary>
    public static GenericChart Spread(IEnumerable<CategoryValue> values, string valueTitle, string? title = null, double? referenceLine = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0) throw new ArgumentException("No values to plot.", nameof(values));
        for (int i = 0; i < list.Count; i++) FigureParts.RequireFinite(list[i].Value, $"Value #{i} ({list[i].Category})");
        var categories = FigureParts.InOrder(list.Select(v => v.Category));
        var each = FigureParts.Scatter("each seed", list.Select(v => v.Value).ToList(), list.Select(v => v.Value).ToList(), "markers");
        each.SetProperty("x", list.Select(v => v.Category).ToArray()); // categorical x
        each.SetProperty("marker", new Dictionary<string, object> { ["color"] = "#9aa0a6", ["size"] = 7, ["symbol"] = "circle-open" });
        var means = categories.Select(c => list.Where(v => v.Category == c).Average(v => v.Value)).ToList();
        var sds = categories.Select((c, k) =>
        {
            var vs = list.Where(v => v.Category == c).Select(v => v.Value).ToList();
            return vs.Count < 2 ? 0.0 : Math.Sqrt(vs.Sum(v => (v - means[k]) * (v - means[k])) / (vs.Count - 1));
        }).ToList();
        var mean = FigureParts.Scatter("mean ± sd", means, means, "markers");
        mean.SetProperty("x", categories.ToArray()); // categorical x
        mean.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(1), ["size"] = 11, ["symbol"] = "diamond" });
        mean.SetProperty("error_y", new Dictionary<string, object> { ["type"] = "data", ["array"] = sds.ToArray(), ["visible"] = true });
        var traces = new List<Trace> { each, mean };
        Layout layout = FigureParts.NewLayout(title, 420);
        var x = FigureParts.Axis("");
        x["tickangle"] = -30;
        layout.SetProperty("xaxis", x);
        layout.SetProperty("yaxis", FigureParts.Axis(valueTitle));
        if (referenceLine is double r)
            layout.SetProperty("shapes", new[] { new Dictionary<string, object>
            {
                ["type"] = "line", ["xref"] = "paper", ["x0"] = 0, ["x1"] = 1, ["y0"] = r, ["y1"] = r,
                ["line"] = new Dictionary<string, object> { ["color"] = "#444", ["dash"] = "dot", ["width"] = 1 },
            } });
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// A square agreement matrix (e.g. rank correlations between methods) as a heatmap on [−1, 1] with the value in
    /// every cell; NaN cells stay empty. <paramref name="values"/>[i][j] belongs to row <paramref name="labels"/>[i]
    /// and column <paramref name="labels"/>[j].
    /// </summary>
    public static GenericChart AgreementMatrix(IReadOnlyList<string> labels, IReadOnlyList<IReadOnlyList<double>> values, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != labels.Count || values.Any(r => r.Count != labels.Count))
            throw new ArgumentException($"The matrix must be {labels.Count}×{labels.Count} like its labels.", nameof(values));
        var trace = new Trace2D("heatmap");
        trace.SetProperty("x", labels.ToArray());
        trace.SetProperty("y", labels.ToArray());
        trace.SetProperty("z", values.Select(r => r.Select(v => double.IsFinite(v) ? (double?)v : null).ToArray()).ToArray());
        trace.SetProperty("text", values.Select(r => r.Select(v => double.IsFinite(v) ? v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "").ToArray()).ToArray());
        trace.SetProperty("texttemplate", "%{text}");
        trace.SetProperty("zmin", -1.0);
        trace.SetProperty("zmax", 1.0);
        trace.SetProperty("colorscale", "RdBu");
        Layout layout = FigureParts.NewLayout(title, 520);
        layout.SetProperty("yaxis", new Dictionary<string, object> { ["autorange"] = "reversed" });
        layout.SetProperty("xaxis", new Dictionary<string, object> { ["tickangle"] = -30 });
        return FigureParts.Assemble(new List<Trace> { trace }, layout);
    }
}
