using System.Collections;
using System.Globalization;
using System.Text;
using ECQx.Notebooks.Nbformat;
using ECQx.Plots;
using Plotly.NET;
using TorchSharp;

namespace ECQx.Notebooks;

/// <summary>
/// Turns a value into its MIME bundle:
/// <list type="bullet">
/// <item><see cref="Html"/> → <c>text/html</c>;</item>
/// <item>Plotly.NET <see cref="GenericChart"/> → <c>application/vnd.plotly.v1+json</c> (the figure) plus a
/// <c>text/html</c> fallback that draws it with inline plotly.js (see <see cref="PlotlyJsEmbedding"/>) and a
/// short <c>text/plain</c>, and an offline-rendered <c>image/png</c> (<see cref="ChartPngRenderer"/>);</item>
/// <item>an XPlot.Plotly <see cref="XPlot.Plotly.PlotlyChart"/> → <c>text/html</c> drawing it with inline plotly.js
/// (not the CDN script tag XPlot writes, so it works offline) and a short <c>text/plain</c>;</item>
/// <item>a sequence of records/objects → an HTML table plus a plain-text table; a sequence of scalars → a
/// bracketed list;</item>
/// <item>a tensor → its values (up to 1000 elements) and shape;</item>
/// <item>anything else → <c>text/plain</c> (invariant culture for numbers).</item>
/// </list>
/// One formatter serves one notebook run (it remembers whether plotly.js was already emitted).
/// </summary>
internal sealed class MimeFormatter
{
    private const int MaxListItems = 1000;
    private readonly PlotlyJsEmbedding _embedding;
    private readonly string _runTag = Guid.NewGuid().ToString("N")[..8];
    private readonly object _gate = new();
    private int _charts;
    private bool _plotlyJsEmitted;

    internal MimeFormatter(PlotlyJsEmbedding embedding) => _embedding = embedding;

    internal MimeBundle Format(object? value)
    {
        switch (value)
        {
            case null:
                return Text("<null>");
            case MimeBundle bundle:
                return bundle;
            case Html html:
                return new MimeBundle().SetText("text/html", html.Content);
            case GenericChart chart:
                return FormatChart(chart);
            case XPlot.Plotly.PlotlyChart xplot:
                return FormatXPlotChart(xplot);
            case string s:
                return Text(s);
            case torch.Tensor tensor:
                return Text(FormatTensor(tensor));
            case IEnumerable sequence:
                return FormatSequence(sequence);
            case IFormattable f:
                return Text(f.ToString(null, CultureInfo.InvariantCulture));
            default:
                return Text(value.ToString() ?? value.GetType().FullName ?? "?");
        }
    }

    /// <summary>The plain-text form alone, for consoles (a chart is described, not serialized).</summary>
    internal static string PlainText(object? value) => value switch
    {
        GenericChart chart => $"Plotly chart with {GenericChart.getTraces(chart).Length} trace(s); display it in a notebook or add it to an ECQx.Plots.Report.",
        XPlot.Plotly.PlotlyChart => "XPlot.Plotly chart; display it in a notebook.",
        Html html => html.Content,
        _ => new MimeFormatter(PlotlyJsEmbedding.EveryFigure).Format(value).GetText("text/plain") ?? "",
    };

    private static MimeBundle Text(string text) => new MimeBundle().SetText("text/plain", text);

    /// <summary>The next chart's element id, and whether its output carries plotly.js.</summary>
    private (string Id, bool Embed) NextChart()
    {
        lock (_gate)
        {
            _charts++;
            bool embed = _embedding == PlotlyJsEmbedding.EveryFigure || !_plotlyJsEmitted;
            _plotlyJsEmitted = true;
            return ($"ecqx-plot-{_runTag}-{_charts}", embed);
        }
    }

    private MimeBundle FormatXPlotChart(XPlot.Plotly.PlotlyChart chart)
    {
        (string id, bool embed) = NextChart();
        chart.WithId(id);
        // XPlot's inline markup is the chart's div and its newPlot script; plotly.js comes from the package's copy.
        string html = (embed ? PlotlyJs.InlineScriptElement() + "\n" : "") + chart.GetInlineHtml();
        return new MimeBundle()
            .SetText("text/html", html)
            .SetText("text/plain", "XPlot.Plotly chart");
    }

    private MimeBundle FormatChart(GenericChart chart)
    {
        (string id, bool embed) = NextChart();
        var figure = ChartHtml.FigureJson(chart);
        int traces = (figure["data"] as System.Text.Json.Nodes.JsonArray)?.Count ?? 0;
        string title = figure["layout"]?["title"]?["text"]?.GetValue<string>() ?? "";
        return ChartPngRenderer.Shared.AddPng(new MimeBundle()
            .SetJson("application/vnd.plotly.v1+json", figure)
            .SetText("text/html", ChartHtml.Fragment(figure, id, embed))
            .SetText("text/plain", $"Plotly chart{(title.Length > 0 ? $" '{title}'" : "")} with {traces} trace{(traces == 1 ? "" : "s")}"));
    }

    private static MimeBundle FormatSequence(IEnumerable sequence)
    {
        Table table = Table.From(sequence, MaxListItems);
        if (table.Columns is ["value"])
        {
            var sb = new StringBuilder("[");
            sb.AppendJoin(", ", table.Rows.Select(r => r[0]));
            if (table.OmittedRows > 0) sb.Append(", … ").Append(table.OmittedRows).Append(" more");
            return Text(sb.Append(']').ToString());
        }
        return new MimeBundle().SetText("text/html", table.ToHtml()).SetText("text/plain", table.ToText());
    }

    private static string FormatTensor(torch.Tensor tensor)
    {
        string meta = tensor.ToString();
        if (tensor.IsInvalid || tensor.numel() > MaxListItems) return meta;
        return meta + "\n" + tensor.ToString(TensorStringStyle.Numpy, cultureInfo: CultureInfo.InvariantCulture);
    }
}
