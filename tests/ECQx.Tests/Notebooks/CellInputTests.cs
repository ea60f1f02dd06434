using ECQx.Notebooks;
using ECQx.Notebooks.Execution;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// Console input in the shared cell-execution core: a cell's <c>Console.ReadLine</c>/<c>Console.Read</c> go to its
/// capture's input source; without one (the headless runner) the read fails at once with a clear error instead of
/// hanging on the process's stdin or returning null; a read that waits observes the cell's cancellation.
/// </summary>
[Collection(NotebookRunnerCollection.Name)]
public sealed class CellInputTests(NotebookRunnerFixture fx)
{
    /// <summary>Answers reads from a fixed list of lines and records how many were asked for.</summary>
    private sealed class ScriptedInput(params string[] lines) : ICellInput
    {
        public int Asked { get; private set; }

        public string ReadLine(CancellationToken cancellationToken) => lines[Asked++];
    }

    /// <summary>Never answers: waits until the cell is cancelled.</summary>
    private sealed class SilentInput : ICellInput
    {
        public readonly ManualResetEventSlim Waiting = new();

        public string ReadLine(CancellationToken cancellationToken)
        {
            Waiting.Set();
            if (!cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(60))) throw new TimeoutException("the read was not cancelled within 60 s");
            cancellationToken.ThrowIfCancellationRequested();
            return "unreachable";
        }
    }

    [Fact]
    public async Task HeadlessRunnerFailsAReadingCellWithAClearError()
    {
        var result = await fx.RunAsync(NotebookRunnerFixture.Build("int before = 1;", "var line = Console.ReadLine();\nConsole.WriteLine(line ?? \"null\");"));
        Assert.False(result.Succeeded);
        Assert.Equal((2, 1, "InvalidOperationException"), (result.Failure!.CellNumber, result.Failure.Line, result.Failure.ErrorName));
        Assert.Contains("reads input", result.Failure.Message);
        Assert.Contains("headless runner has no stdin", result.Failure.Message);
    }

    [Fact]
    public async Task LinesAndCharactersComeFromTheInputSource()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var input = new ScriptedInput("21", "xyz", "last");
        var outcome = await session.ExecuteAsync(
            "int a = int.Parse(Console.ReadLine()!);\nchar first = (char)Console.Read();\nchar peeked = (char)Console.In.Peek();\nstring rest = Console.ReadLine()!;\n" +
            "var buffer = new char[16];\nint n = Console.In.Read(buffer, 0, buffer.Length);\n$\"{a * 2} {first}{peeked} {rest} [{new string(buffer, 0, n)}]\"",
            "cell-1", session.NewCapture(input: input), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error?.ToString());
        Assert.Equal("42 xy yz [last\n]", outcome.Result!.GetText("text/plain"));
        Assert.Equal(3, input.Asked);
    }

    [Fact]
    public async Task AWaitingReadEndsWhenTheCellIsCancelled()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var first = await session.ExecuteAsync("int kept = 7;", "cell-1", session.NewCapture(), CancellationToken.None);
        Assert.True(first.Succeeded, first.Error?.ToString());
        var input = new SilentInput();
        using var cancel = new CancellationTokenSource();
        // On a pool thread: a cell may run synchronously inside ExecuteAsync until its first await.
        Task<CellOutcome> running = Task.Run(() => session.ExecuteAsync("var x = 1;\nvar line = Console.ReadLine();", "cell-2", session.NewCapture(input: input), cancel.Token));
        Assert.True(input.Waiting.Wait(TimeSpan.FromSeconds(60)), "the cell never read");
        cancel.Cancel();
        CellOutcome outcome = await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("Cancelled", 2), (outcome.Error?.Name, outcome.Error?.Line));
        var after = await session.ExecuteAsync("kept * 6", "cell-3", session.NewCapture(), CancellationToken.None);
        Assert.Equal("42", after.Result!.GetText("text/plain"));
    }

    [Fact]
    public async Task ReadToEndIsRefusedWithAReason()
    {
        var session = new CellSession(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
        var outcome = await session.ExecuteAsync("var all = Console.In.ReadToEnd();", "cell-1", session.NewCapture(input: new ScriptedInput("a")), CancellationToken.None);
        Assert.Equal("NotSupportedException", outcome.Error?.Name);
        Assert.Contains("Console.ReadLine()", outcome.Error!.Message);
    }
}
