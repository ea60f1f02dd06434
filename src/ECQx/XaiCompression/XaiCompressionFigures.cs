using ECQx.Plots;
using Plotly.NET;

namespace ECQx.XaiCompression;

/// <summary>One point of a compression curve (e.g. accuracy at a pruning ratio for one method).</summary>
/// <param name="Series">Series label (one line per series, e.g. <c>deeplift</c>, <c>magnitude</c>).</param>
/// <param name="X">The x value (ratio, bits, budget …).</param>
/// <param name="Y">The y value (accuracy …).</param>
public sealed record CurvePoint(string Series, double X, double Y);

/// <summary>Line charts of the XAI-vs-baseline curves (accuracy vs pruning ratio, vs bits, vs budget).</summary>
public static class XaiCompressionFigures
{
    /// <summary>One line per series, points ordered by x; NaN/infinite values are an error naming the point.</summary>
    public static GenericChart Curves(IEnumerable<CurvePoint> points, string xTitle, string yTitle, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points.ToList();
        if (list.Count == 0) throw new ArgumentException("no points to plot", nameof(points));
        for (int i = 0; i < list.Count; i++)
            if (!double.IsFinite(list[i].X) || !double.IsFinite(list[i].Y))
                throw new ArgumentException($"point #{i} ({list[i].Series}, x = {list[i].X}, y = {list[i].Y}) is not finite", nameof(points));
        var series = list.Select(p => p.Series).Distinct().ToList();
        var traces = new List<Trace>();
        for (int s = 0; s < series.Count; s++)
        {
            var pts = list.Where(p => p.Series == series[s]).OrderBy(p => p.X).ToList();
            var trace = FigureParts.Scatter(series[s], pts.Select(p => p.X).ToList(), pts.Select(p => p.Y).ToList(), "lines+markers");
            trace.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(s), ["dash"] = FigureParts.Dashes[s % FigureParts.Dashes.Length] });
            trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(s) });
            traces.Add(trace);
        }
        Layout layout = FigureParts.NewLayout(title, 400);
        layout.SetProperty("xaxis", FigureParts.Axis(xTitle));
        layout.SetProperty("yaxis", FigureParts.Axis(yTitle));
        return FigureParts.Assemble(traces, layout);
    }
}
