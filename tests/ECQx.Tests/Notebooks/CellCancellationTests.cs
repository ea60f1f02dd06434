using ECQx.Notebooks;
using ECQx.Notebooks.Execution;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// Cancellation of running cells in the shared cell-execution core: the syntax rewrite that makes a cell's own
/// loops and sleeps observe the cell's token keeps every line where it was, and a cancelled cell stops at the
/// line it was running while the session keeps the variables of earlier cells.
/// </summary>
[Collection(NotebookRunnerCollection.Name)]
public sealed class CellCancellationTests
{
    private static readonly CSharpParseOptions Script = CSharpParseOptions.Default.WithKind(SourceCodeKind.Script);

    [Fact]
    public void RewriteGuardsEveryLoopKindAndKeepsLines()
    {
        string cell = """
            int n = 0;
            for (int i = 0; i < 3; i++)
                n += i;
            foreach (var x in new[] { 1, 2 }) { n += x; }
            foreach (var (a, b) in new[] { (1, 2) }) n += a + b;
            while (n < 100) n++;
            do { n--; } while (n > 50);
            System.Threading.Thread.Sleep(1);
            await Task.Delay(1);
            var s = "for (;;) {} Thread.Sleep(5)";
            """;
        string rewritten = CancellationRewriter.Rewrite(cell, Script);
        string[] before = cell.Split('\n'), after = rewritten.Split('\n');
        Assert.Equal(before.Length, after.Length);
        // Six loops, one guard each; the sleep and the delay call the cancellable versions; the string is untouched.
        Assert.Equal(6, after.Sum(l => CountOf(l, "CellCancellation.ThrowIfRequested()")));
        Assert.Contains("global::ECQx.Notebooks.CellCancellation.Sleep(1)", after[7]);
        Assert.Contains("global::ECQx.Notebooks.CellCancellation.Delay(1)", after[8]);
        Assert.Equal(before[9], after[9]);
        // Every original token is still on its own line.
        for (int i = 0; i < before.Length; i++)
            foreach (string word in before[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 3 && !w.Contains("Sleep") && !w.Contains("Delay")))
                Assert.Contains(word, after[i]);
        Assert.Empty(CSharpSyntaxTree.ParseText(rewritten, Script).GetDiagnostics());
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Theory]
    [InlineData("long k = 0;\nwhile (true)\n    k++;", 3)]
    [InlineData("for (int i = 0; i < 1_000_000; i++)\n{\n    Thread.Sleep(50);\n}", 3)]
    [InlineData("Console.WriteLine(\"waiting\");\nThread.Sleep(TimeSpan.FromMinutes(5));", 2)]
    [InlineData("await Task.Delay(300_000);", 1)]
    public async Task CancelledCellStopsAtItsLineAndEarlierVariablesSurvive(string code, int line)
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var first = await session.ExecuteAsync("int kept = 7;", "cell-1", session.NewCapture(), CancellationToken.None);
        Assert.True(first.Succeeded, first.Error?.ToString());

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;
        var outcome = await session.ExecuteAsync(code, "cell-2", session.NewCapture(), cancel.Token);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the cell did not stop soon after cancellation");
        Assert.Equal("Cancelled", outcome.Error?.Name);
        Assert.Equal(line, outcome.Error!.Line);

        var after = await session.ExecuteAsync("kept * 6", "cell-3", session.NewCapture(), CancellationToken.None);
        Assert.True(after.Succeeded, after.Error?.ToString());
        Assert.Equal("42", after.Result!.GetText("text/plain"));
    }

    [Fact]
    public async Task RuntimeErrorAfterARewrittenLoopNamesTheOriginalLine()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var outcome = await session.ExecuteAsync("int s = 0;\nfor (int i = 0; i < 3; i++)\n    s += i;\nint zero = s - 3;\nvar boom = 1 / zero;",
            "cell-1", session.NewCapture(), CancellationToken.None);
        Assert.Equal(("DivideByZeroException", 5), (outcome.Error?.Name, outcome.Error?.Line));
        Assert.StartsWith("cell-1, line 5: DivideByZeroException", outcome.Error!.Traceback[0]);
    }

    [Fact]
    public async Task CellsSeeTheirTokenAsTheCancellationGlobal()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var outcome = await session.ExecuteAsync("var seen = Cancellation.IsCancellationRequested;\nCancellation.ThrowIfCancellationRequested();",
            "cell-1", session.NewCapture(), cancel.Token);
        Assert.Equal(("Cancelled", 2), (outcome.Error?.Name, outcome.Error?.Line));
        var fresh = await session.ExecuteAsync("Cancellation.IsCancellationRequested", "cell-2", session.NewCapture(), CancellationToken.None);
        Assert.Equal("False", fresh.Result!.GetText("text/plain"));
    }
}
