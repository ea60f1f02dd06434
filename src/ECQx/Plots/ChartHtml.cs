using System.Text;
using System.Text.Json.Nodes;
using Plotly.NET;

namespace ECQx.Plots;

/// <summary>
/// Turns Plotly.NET charts into plotly figure JSON and into HTML fragments that draw them with the
/// inline plotly.js of <see cref="PlotlyJs"/> (never a CDN script).
/// </summary>
public static class ChartHtml
{
    /// <summary>
    /// The chart as a plotly figure object <c>{ "data": [...], "layout": {...}, "config": {...} }</c>, the
    /// shape plotly.js' <c>Plotly.newPlot</c> and the <c>application/vnd.plotly.v1+json</c> MIME type expect.
    /// </summary>
    public static JsonObject FigureJson(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        JsonNode? parsed = JsonNode.Parse(GenericChart.toJson(chart));
        if (parsed is not JsonObject figure || figure["data"] is not JsonArray || figure["layout"] is not JsonObject)
            throw new InvalidOperationException("Plotly.NET produced figure JSON without a data array and a layout object.");
        figure.TryAdd("config", new JsonObject());
        return figure;
    }

    /// <summary>
    /// An HTML fragment with a <c>div</c> (id <paramref name="elementId"/>) and a script that draws the
    /// chart into it. With <paramref name="includePlotlyJs"/> the fragment starts with the whole plotly.js
    /// library, so it renders on its own; without it the script waits (up to ten seconds) for
    /// <c>window.Plotly</c> to be defined by an earlier element of the same page, and otherwise writes
    /// a visible message into the div.
    /// </summary>
    public static string Fragment(GenericChart chart, string elementId, bool includePlotlyJs) =>
        Fragment(FigureJson(chart), elementId, includePlotlyJs);

    /// <summary>
    /// The same fragment from figure JSON already made with <see cref="FigureJson"/> (serializing a chart
    /// is the slow step, so callers that need both do it once).
    /// </summary>
    public static string Fragment(JsonObject figure, string elementId, bool includePlotlyJs)
    {
        ArgumentNullException.ThrowIfNull(figure);
        ArgumentException.ThrowIfNullOrWhiteSpace(elementId);
        if (elementId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException($"Chart element id '{elementId}' may only contain ASCII letters, digits, '-' and '_'.", nameof(elementId));
        int height = figure["layout"]?["height"] is JsonValue h && h.TryGetValue(out int px) && px > 0 ? px : 450;

        var html = new StringBuilder();
        if (includePlotlyJs) html.Append(PlotlyJs.InlineScriptElement()).Append('\n');
        html.Append("<div id=\"").Append(elementId).Append("\" class=\"ecqx-chart\" style=\"width:100%;min-height:")
            .Append(height).Append("px;\"></div>\n");
        html.Append("<script type=\"text/javascript\">\n(function () {\n  var id = '").Append(elementId).Append("';\n");
        html.Append("  var figure = ").Append(ScriptSafeJson(figure)).Append(";\n");
        html.Append("""
              function draw() { window.Plotly.newPlot(id, figure.data, figure.layout, figure.config || {}); }
              if (typeof window.Plotly !== 'undefined') { draw(); return; }
              var waited = 0;
              var timer = setInterval(function () {
                if (typeof window.Plotly !== 'undefined') { clearInterval(timer); draw(); }
                else if ((waited += 50) >= 10000) {
                  clearInterval(timer);
                  var el = document.getElementById(id);
                  if (el) el.textContent = 'This chart needs plotly.js, which is embedded in the first chart output of the page; it did not load.';
                }
              }, 50);
            })();
            </script>
            """);
        return html.ToString();
    }

    /// <summary>JSON text that is safe inside a script element (no <c>&lt;/</c> sequence, no HTML comment openers).</summary>
    internal static string ScriptSafeJson(JsonNode node) =>
        node.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal).Replace("<!--", "<\\!--", StringComparison.Ordinal);
}
