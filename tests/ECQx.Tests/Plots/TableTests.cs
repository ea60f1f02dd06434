using ECQx.Plots;
using Xunit;

namespace ECQx.Tests.Plots;

public sealed class TableTests
{
    private sealed record Run(string Method, int Bits, double Accuracy);

    [Fact]
    public void RecordsGiveOneColumnPerPropertyInDeclarationOrder()
    {
        var table = Table.From(new[] { new Run("ECQ", 4, 91.234567), new Run("<ECQx>", 2, 0.5) });

        Assert.Equal(["Method", "Bits", "Accuracy"], table.Columns);
        Assert.Equal(["ECQ", "4", "91.2346"], table.Rows[0]);
        string html = table.ToHtml("runs & more");
        Assert.Contains("<caption>runs &amp; more</caption>", html);
        Assert.Contains("<td>&lt;ECQx&gt;</td>", html);
        Assert.Equal(2, html.Split("<tr>").Length - 2); // header row + 2 body rows, minus the leading split part
    }

    [Fact]
    public void TextTableAlignsColumns()
    {
        string[] lines = Table.From(new[] { new Run("ECQ", 4, 1), new Run("ECQx-long", 16, 2.5) }).ToText().TrimEnd('\n').Split('\n');
        Assert.Equal(["Method     Bits  Accuracy", "---------  ----  --------", "ECQ        4     1", "ECQx-long  16    2.5"], lines);
    }

    [Fact]
    public void TuplesScalarsAndTheRowLimit()
    {
        Assert.Equal(["Item1", "Item2"], Table.From(new[] { (1, "a") }).Columns);
        var scalars = Table.From(Enumerable.Range(0, 5), maxRows: 3);
        Assert.Equal(["value"], scalars.Columns);
        Assert.Equal(3, scalars.Rows.Count);
        Assert.Equal(2, scalars.OmittedRows);
        Assert.Contains("2 more rows", scalars.ToHtml());
        Assert.Throws<ArgumentException>(() => Table.From("not rows"));
    }
}
