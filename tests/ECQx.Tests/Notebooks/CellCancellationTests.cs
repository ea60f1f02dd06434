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
        // Five loops, one guard each; the sleep and the delay call the cancellable versions; the string is untouched.
        Assert.True(5 == after.Sum(l => CountOf(l, "CellCancellation.ThrowIfRequested()")), rewritten);
        Assert.Contains("global::ECQx.Notebooks.Execution.CellCancellation.Sleep(1)", after[7]);
        Assert.Contains("global::ECQx.Notebooks.Execution.CellCancellation.Delay(1)", after[8]);
        Assert.Equal(before[9], after[9]);
        // Every original token is still on its own line.
        for (int i = 0; i < before.Length; i++)
            foreach (string word in before[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 3 && !w.Contains("Sleep") && !w.Contains("Delay")))
                Assert.Contains(word, after[i]);
        Assert.Empty(CSharpSyntaxTree.ParseText(rewritten, Script).GetDiagnostics());
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    /// <summary>Cancels the token a moment after the cell first prints (so compiling is over and the cell runs).</summary>
    private sealed class CancelAfterFirstOutput(CancellationTokenSource source) : ICellOutputListener
    {
        public void Stream(string name, string text) => source.CancelAfter(200);

        public void Display(ECQx.Notebooks.Nbformat.MimeBundle bundle, string displayId) { }

        public void UpdateDisplay(ECQx.Notebooks.Nbformat.MimeBundle bundle, string displayId) { }
    }

    [Theory]
    [InlineData("long k = 0;\nwhile (true)\n    k++;", 4)]
    [InlineData("for (int i = 0; i < 1_000_000; i++)\n{\n    Thread.Sleep(50);\n}", 4)]
    [InlineData("Thread.Sleep(TimeSpan.FromMinutes(5));", 2)]
    [InlineData("await Task.Delay(300_000);", 2)]
    [InlineData("Cancellation.WaitHandle.WaitOne();\nvar seen = Cancellation.IsCancellationRequested;\nCancellation.ThrowIfCancellationRequested();", 4)]
    public async Task CancelledCellStopsAtItsLineAndEarlierVariablesSurvive(string code, int line)
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var first = await session.ExecuteAsync("int kept = 7;", "cell-1", session.NewCapture(), CancellationToken.None);
        Assert.True(first.Succeeded, first.Error?.ToString());

        using var cancel = new CancellationTokenSource();
        var started = DateTime.UtcNow;
        var outcome = await session.ExecuteAsync("Console.WriteLine(\"started\");\n" + code, "cell-2",
            session.NewCapture(listener: new CancelAfterFirstOutput(cancel)), cancel.Token);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the cell did not stop soon after cancellation");
        Assert.Equal("Cancelled", outcome.Error?.Name);
        Assert.Equal(line, outcome.Error!.Line);

        var after = await session.ExecuteAsync("kept * 6", "cell-3", session.NewCapture(), CancellationToken.None);
        Assert.True(after.Succeeded, after.Error?.ToString());
        Assert.Equal("42", after.Result!.GetText("text/plain"));
        var fresh = await session.ExecuteAsync("Cancellation.IsCancellationRequested", "cell-4", session.NewCapture(), CancellationToken.None);
        Assert.Equal("False", fresh.Result!.GetText("text/plain"));
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
}
