using Plotly.NET;

namespace ECQx.Plots;

/// <summary>Sets a chart's title (a chart's title is how notebooks, the gallery and the figure checks name it).</summary>
public static class ChartTitle
{
    /// <summary>The chart with <paramref name="title"/> as its layout title (other layout settings are kept).</summary>
    public static GenericChart WithTitle(this GenericChart chart, string title)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        var layout = new Layout();
        layout.SetProperty("title", new Dictionary<string, object> { ["text"] = title });
        return GenericChart.addLayout(layout, chart);
    }
}
