using ECQx.Results;
using Plotly.NET;

namespace ECQx.Plots;

public static partial class Figures
{
    /// <summary>
    /// The accuracy difference of two methods at matched sparsity (from <c>ECQx.Experiments.MatchedSparsity.Compare</c>): one line
    /// per bit width, x = sparsity, y = accuracy(B) − accuracy(A) in points, with a zero line. Above zero, method B
    /// (e.g. ECQx) is more accurate than method A (ECQ) at the same sparsity. Without points (the methods' sparsity
    /// ranges do not overlap at any bit width) the chart is empty and says so, rather than failing.
    /// </summary>
    public static GenericChart MatchedSparsityGap(IEnumerable<MatchedSparsityPoint> points, string methodA = "ECQ", string methodB = "ECQx",
        string? title = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points.ToList();
        foreach (var p in list)
        {
            FigureParts.RequireFinite(p.SparsityPercent, $"Matched point ({p.BitWidth}-bit) sparsity");
            FigureParts.RequireFinite(p.Difference, $"Matched point ({p.BitWidth}-bit, {p.SparsityPercent} %) difference");
        }
        var bits = list.Select(p => p.BitWidth).Distinct().Order().ToList();
        var traces = new List<Trace>();
        for (int i = 0; i < bits.Count; i++)
        {
            var ps = list.Where(p => p.BitWidth == bits[i]).OrderBy(p => p.SparsityPercent).ToList();
            var t = FigureParts.Scatter($"{bits[i]}-bit", ps.Select(p => p.SparsityPercent).ToArray(), ps.Select(p => p.Difference).ToArray(), "lines+markers");
            t.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(i) });
            t.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(i), ["size"] = 8 });
            t.SetProperty("text", ps.Select(p => FormattableString.Invariant(
                $"{p.BitWidth}-bit at {p.SparsityPercent:0.#} % sparsity<br>{methodA} {p.AccuracyA:0.##} %<br>{methodB} {p.AccuracyB:0.##} %")).ToArray());
            t.SetProperty("hoverinfo", "text");
            traces.Add(t);
        }
        if (traces.Count == 0) traces.Add(FigureParts.Scatter("no matched points", Array.Empty<double>(), Array.Empty<double>(), "markers"));
        Layout layout = FigureParts.NewLayout(title ?? $"{methodB} − {methodA} at matched sparsity", 420);
        if (list.Count == 0)
            layout.SetProperty("annotations", new object[]
            {
                new Dictionary<string, object>
                {
                    ["text"] = $"{methodA} and {methodB} share no sparsity range at any bit width: add Λ values to the sweep",
                    ["xref"] = "paper", ["yref"] = "paper", ["x"] = 0.5, ["y"] = 0.5, ["showarrow"] = false,
                },
            });
        layout.SetProperty("xaxis", FigureParts.Axis("sparsity (%)"));
        layout.SetProperty("yaxis", FigureParts.Axis($"accuracy {methodB} − {methodA} (points)"));
        layout.SetProperty("shapes", new object[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "line", ["xref"] = "paper", ["yref"] = "y", ["x0"] = 0, ["x1"] = 1, ["y0"] = 0, ["y1"] = 0,
                ["line"] = new Dictionary<string, object> { ["color"] = "#444", ["width"] = 1 },
            },
        });
        return FigureParts.Assemble(traces, layout);
    }
}
