using System.Collections;
using System.Net;
using System.Text;
using ECQx.IO;
using Plotly.NET;

namespace ECQx.Plots;

/// <summary>
/// Builds one self-contained HTML page: a title, sections with paragraphs, tables and Plotly.NET charts.
/// plotly.js is embedded once in the page (<see cref="PlotlyJs"/>), so the file renders offline and can be
/// mailed or archived as it is. Blocks appear in the order they are added.
/// </summary>
/// <example>
/// <code>
/// new Report("ResNet20 / CIFAR-10")
///     .AddSection("Sweep")
///     .AddChart(Figures.AccuracyVsSparsity(results))
///     .AddTable(results, "All runs")
///     .Save("results/report.html");
/// </code>
/// </example>
public sealed class Report
{
    private readonly List<Block> _blocks = [];
    private int _charts;

    /// <summary>Starts a report with a page title (also the first heading).</summary>
    public Report(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>Number of charts added so far.</summary>
    public int ChartCount => _charts;

    /// <summary>Starts a new section with a level-2 heading; later blocks belong to it.</summary>
    public Report AddSection(string heading)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(heading);
        _blocks.Add(new Block(BlockKind.Section, heading, null, null));
        return this;
    }

    /// <summary>Adds a paragraph of plain text (HTML-escaped; blank lines split paragraphs).</summary>
    public Report AddParagraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (string para in text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            _blocks.Add(new Block(BlockKind.Html, "<p>" + WebUtility.HtmlEncode(para.Trim()) + "</p>", null, null));
        return this;
    }

    /// <summary>Adds trusted raw HTML as it is.</summary>
    public Report AddHtml(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        _blocks.Add(new Block(BlockKind.Html, html, null, null));
        return this;
    }

    /// <summary>Adds a table with one row per item and one column per public property or field (see <see cref="Table.From"/>).</summary>
    public Report AddTable(IEnumerable rows, string? caption = null)
    {
        _blocks.Add(new Block(BlockKind.Html, Table.From(rows).ToHtml(caption), null, null));
        return this;
    }

    /// <summary>Adds a chart, drawn by the page's embedded plotly.js, with an optional caption below it.</summary>
    public Report AddChart(GenericChart chart, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        _charts++;
        _blocks.Add(new Block(BlockKind.Chart, $"chart-{_charts}", chart, caption));
        return this;
    }

    /// <summary>The whole page as HTML text (UTF-8, plotly.js inline in the head).</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder(PlotlyJs.Source.Length + 16_384);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta name=\"generator\" content=\"ECQx.Plots.Report (plotly.js ").Append(PlotlyJs.Version).Append(" inline)\">\n")
          .Append("<title>").Append(WebUtility.HtmlEncode(Title)).Append("</title>\n")
          .Append("<style>").Append(Css).Append("</style>\n");
        if (_charts > 0) sb.Append(PlotlyJs.InlineScriptElement()).Append('\n');
        sb.Append("</head>\n<body>\n<main>\n<h1>").Append(WebUtility.HtmlEncode(Title)).Append("</h1>\n");

        bool inSection = false;
        foreach (Block block in _blocks)
        {
            switch (block.Kind)
            {
                case BlockKind.Section:
                    if (inSection) sb.Append("</section>\n");
                    sb.Append("<section>\n<h2>").Append(WebUtility.HtmlEncode(block.Text)).Append("</h2>\n");
                    inSection = true;
                    break;
                case BlockKind.Html:
                    sb.Append(block.Text).Append('\n');
                    break;
                case BlockKind.Chart:
                    sb.Append("<figure>\n").Append(ChartHtml.Fragment(block.Chart!, block.Text, includePlotlyJs: false));
                    if (!string.IsNullOrEmpty(block.Caption))
                        sb.Append("<figcaption>").Append(WebUtility.HtmlEncode(block.Caption)).Append("</figcaption>\n");
                    sb.Append("</figure>\n");
                    break;
            }
        }
        if (inSection) sb.Append("</section>\n");
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>Writes the page to <paramref name="path"/> atomically (creating the directory) and returns the full path.</summary>
    public string Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        AtomicFile.WriteAllText(full, ToHtml());
        return full;
    }

    private const string Css =
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;background:#fff}" +
        "main{max-width:1100px;margin:0 auto;padding:1.5rem}" +
        "h1{font-size:1.7rem;margin-top:0}h2{font-size:1.3rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}" +
        "figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem;margin-top:.3rem}" +
        "table.ecqx-table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}" +
        "table.ecqx-table th,table.ecqx-table td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}" +
        "table.ecqx-table th{background:#f3f3f3}table.ecqx-table caption{caption-side:top;text-align:left;font-weight:600;padding:.3rem 0}" +
        ".ecqx-table-note{color:#777;font-size:.85rem}";

    private enum BlockKind { Section, Html, Chart }

    private sealed record Block(BlockKind Kind, string Text, GenericChart? Chart, string? Caption);
}
