using System.Text.RegularExpressions;
using ECQx.Plots;
using ECQx.Results;
using Xunit;

namespace ECQx.Tests.Plots;

public sealed class ReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ecqx-report-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static readonly QuantizationResult[] Results =
    [
        new("ECQ", 2, 85, 70, 40), new("ECQ", 2, 87, 55, 30), new("ECQx", 2, 87.5, 72, 45),
        new("ECQ", 4, 91, 50, 15), new("ECQx", 4, 91.2, 58, 18),
    ];

    private static Report Sample() =>
        new Report("ResNet20 <CIFAR-10>")
            .AddSection("Sweep")
            .AddParagraph("Accuracy & sparsity.\n\nSecond paragraph.")
            .AddChart(Figures.AccuracyVsSparsity(Results), "Figure 1")
            .AddSection("Per layer")
            .AddChart(Figures.PerLayerBars([new LayerValue("conv1", "ECQ", 10), new LayerValue("conv1", "ECQx", 20)], "sparsity (%)"))
            .AddTable(Results, "All runs");

    [Fact]
    public void PageIsSelfContainedWithPlotlyJsInlineOnce()
    {
        string html = Sample().ToHtml();

        Assert.Single(Regex.Matches(html, Regex.Escape(PlotlyJs.Source[..4000])));
        Assert.Contains("plotly.js v" + PlotlyJs.Version, html);
        Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html);
        Assert.DoesNotMatch(@"<link[^>]*\bhref\s*=\s*""https?:", html);
        Assert.Contains("<title>ResNet20 &lt;CIFAR-10&gt;</title>", html);
        Assert.Contains("<p>Accuracy &amp; sparsity.</p>\n<p>Second paragraph.</p>", html);
        Assert.Equal(2, Regex.Matches(html, "<section>").Count);
        Assert.Equal(2, Regex.Matches(html, "</section>").Count);
        Assert.Contains("<figcaption>Figure 1</figcaption>", html);
        Assert.Contains("<caption>All runs</caption>", html);
    }

    [Fact]
    public void ReportWithoutChartsCarriesNoPlotlyJs() =>
        Assert.DoesNotContain(PlotlyJs.Source[..4000], new Report("t").AddParagraph("x").ToHtml());

    [Fact]
    public void SaveWritesAtomicallyIntoANewFolder()
    {
        string path = Path.Combine(_folder, "nested", "report.html");
        string written = Sample().Save(path);

        Assert.Equal(path, written);
        Assert.Equal(Sample().ToHtml(), File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [ChromiumFact]
    public void ChartsRenderInHeadlessChromiumWithoutNetwork()
    {
        string path = Sample().Save(Path.Combine(_folder, "report.html"));

        string dom = HeadlessChromium.DumpDom(path);

        var charts = Regex.Matches(dom, "<div id=\"(chart-\\d)\" class=\"([^\"]*)\"").ToList();
        Assert.Equal(["chart-1", "chart-2"], charts.Select(m => m.Groups[1].Value));
        Assert.All(charts, m => Assert.Contains("js-plotly-plot", m.Groups[2].Value));
        string first = dom[charts[0].Index..charts[1].Index], second = dom[charts[1].Index..];
        Assert.NotEmpty(Regex.Matches(first, "class=\"main-svg\""));
        Assert.Equal(4, Regex.Matches(first, "class=\"trace scatter").Count); // ECQ/ECQx × 2/4 bit
        Assert.Equal(2, Regex.Matches(second, "class=\"trace bars").Count);
        Assert.Contains("<td>ECQx</td>", second);
    }
}
