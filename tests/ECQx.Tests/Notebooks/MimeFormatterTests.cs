using System.Globalization;
using ECQx.Notebooks;
using ECQx.Plots;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Notebooks;

public sealed class MimeFormatterTests
{
    private static readonly MimeFormatter Formatter = new(PlotlyJsEmbedding.OncePerNotebook);

    [Fact]
    public void NumbersUseTheInvariantCultureWhateverTheThreadCulture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal("1.5", Formatter.Format(1.5).GetText("text/plain"));
            Assert.Equal("[0.25, 2]", Formatter.Format(new[] { 0.25, 2.0 }).GetText("text/plain"));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void TensorsShowShapeAndValues()
    {
        TorchRuntime.EnsureLoaded();
        using var t = torch.arange(6, dtype: torch.int64).reshape(2, 3);
        Assert.Equal("[2x3], type = Int64, device = cpu\n[[0, 1, 2]\n [3, 4, 5]]", Formatter.Format(t).GetText("text/plain"));
    }

    [Fact]
    public void OutsideANotebookChartsAreDescribedNotSerialized()
    {
        var chart = Figures.MetricPerEpoch([new EpochValue("a", 1, 1), new EpochValue("b", 1, 2)], "v");
        Assert.StartsWith("Plotly chart with 2 trace(s)", MimeFormatter.PlainText(chart));
        Assert.Equal("<null>", MimeFormatter.PlainText(null));
        Assert.Equal("<i>x</i>", MimeFormatter.PlainText(new Html("<i>x</i>")));
    }
}
