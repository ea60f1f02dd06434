using ECQx.Notebooks;
using ECQx.Notebooks.Execution;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// The cell-execution core compiles each cell on its own (a class over the session's variable boxes), so these check
/// that a notebook still behaves as one script: variables, methods, types and usings carry over; methods and lambdas
/// see later assignments; a redeclaration is a new variable; a failed cell declares nothing; <c>using var</c> is
/// disposed at the end of its cell; and, structurally, trivial cells leave nothing behind (no kept assembly, no
/// live load context after a collection, no growth of the compilation's references).
/// </summary>
[Collection(NotebookRunnerCollection.Name)]
public sealed class CellSessionTests
{
    private readonly CellSession _session = new(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
    private int _cells;

    private async Task<CellOutcome> Run(string code)
    {
        CellOutcome outcome = await _session.ExecuteAsync(code, $"cell-{++_cells}", _session.NewCapture(), CancellationToken.None);
        return outcome;
    }

    private async Task<string?> Value(string code)
    {
        CellOutcome outcome = await Run(code);
        Assert.True(outcome.Succeeded, $"{code}\n{outcome.Error}");
        return outcome.Result?.GetText("text/plain");
    }

    [Fact]
    public async Task VariablesMethodsAndLambdasShareOneStorage()
    {
        Assert.Null(await Value("var model = 3;\nint Evaluate() => model * 2;\nvar counter = 0;\nAction bump = () => counter++;"));
        Assert.Equal("6", await Value("Evaluate()"));
        Assert.Equal("10", await Value("model = 5;\nEvaluate()"));             // the method sees the assignment of a later cell
        Assert.Equal("2", await Value("bump();\nbump();\ncounter"));          // the lambda increments the notebook's variable
        Assert.Equal("12", await Value("model++;\nmodel += 0;\nEvaluate()"));
        Assert.Equal("five", await Value("var model = \"five\";\nmodel"));   // a new variable of another type
        Assert.Equal("12", await Value("Evaluate()"));                        // the method keeps the variable it was written against
        Assert.Equal("6", await Value("int[] squares = { 1, 1 };\nsquares[1] = 5;\nsquares.Sum()"));
        Assert.Equal("[1, 2]", await Value("List<int> list = [1];\nlist.Add(2);\nlist"));
        Assert.Equal("True", await Value("int.TryParse(\"7\", out counter) && counter == 7"));
        // Anonymous objects: later cells see them as what they are (more in CellSessionVariableTests).
        Assert.Equal("3", await Value("var rows = new[] { 1, 2 }.Select(i => new { Value = i }).ToList();\nrows.Sum(r => r.Value)"));
        Assert.Equal("2", await Value("rows.Count(r => r.Value > 0)"));
    }

    [Fact]
    public async Task TypesUsingsAndRedefinitionsCarryOverAsInAScript()
    {
        Assert.Null(await Value("using System.Globalization;\nrecord Point(int X, int Y);\nvar origin = new Point(0, 0);"));
        Assert.Equal("1.5", await Value("1.5.ToString(CultureInfo.InvariantCulture)"));
        Assert.Equal("Point { X = 0, Y = 3 }", await Value("var moved = origin with { Y = 3 };\nmoved"));
        Assert.Null(await Value("record Point(int X);\nint Twice(int v) => 2 * v;"));  // a redefinition hides the earlier one
        Assert.Equal("Point { X = 8 }", await Value("new Point(Twice(4))"));
        Assert.Equal("0", await Value("origin.Y"));                                    // an old value keeps its old type
        Assert.Equal("done", await Value("await Task.Delay(1);\nvar text = await Task.FromResult(\"done\");\ntext"));
        Assert.Equal(2, _session.KeptAssemblies); // the two cells that declared types and methods
    }

    [Fact]
    public async Task AFailedCellDeclaresNothingAndErrorsNameTheCellLine()
    {
        Assert.Null(await Value("int kept = 1;"));
        CellOutcome failed = await Run("var kept = \"text\";\nint Broken() => 1;\nthrow new InvalidOperationException(\"no\");");
        Assert.Equal(("InvalidOperationException", 3), (failed.Error!.Name, failed.Error.Line));
        Assert.StartsWith("cell-2, line 3: InvalidOperationException: no", failed.Error.Traceback[0]);
        Assert.Equal("2", await Value("kept + 1"));
        CellOutcome missing = await Run("Broken()");
        Assert.Equal("CompilationError", missing.Error!.Name);
        Assert.Contains("CS0103", missing.Error.Message);
        CellOutcome typeError = await Run("int a = 1;\n  string s = a;");
        Assert.Equal(2, typeError.Error!.Line);
        Assert.Contains(typeError.Error.Traceback, l => l.StartsWith("cell-5, line 2, column 14: error CS0029", StringComparison.Ordinal));
        CellOutcome twice = await Run("var d = 1;\nvar d = 2;");
        Assert.Contains("CS0128", twice.Error!.Message);
        // The trailing expression and a using declaration keep their lines and columns (generated code starts their statements).
        CellOutcome member = await Run("var a = 1;\n  a.Nope");
        Assert.Contains(member.Error!.Traceback, l => l.StartsWith("cell-7, line 2, column 5: error CS1061", StringComparison.Ordinal));
        CellOutcome divide = await Run("var z = 0;\n\n1 / z");
        Assert.Equal(("DivideByZeroException", 3), (divide.Error!.Name, divide.Error.Line));
        CellOutcome scope = await Run("int n = 0;\nusing var s = new System.IO.StreamReader((string)null!);");
        Assert.Equal(("ArgumentNullException", 2), (scope.Error!.Name, scope.Error.Line));
        CellOutcome badScope = await Run("using var s = new System.IO.StreamReader(  42.5m);");
        Assert.Contains(badScope.Error!.Traceback, l => l.StartsWith("cell-10, line 1, column 44: error CS1503", StringComparison.Ordinal));
        Assert.Equal("1", await Value("kept"));
    }

    [Fact]
    public async Task UsingVarAtTopLevelIsDisposedAtTheEndOfTheCell()
    {
        Assert.Null(await Value("class Probe : IDisposable { public static int Disposed; public void Dispose() => Disposed++; }"));
        Assert.Equal("0", await Value("using var probe = new Probe();\nProbe.Disposed"));
        Assert.Equal("1", await Value("Probe.Disposed"));
        CellOutcome local = await Run("probe");
        Assert.True("CompilationError" == local.Error?.Name, $"{local.Result?.GetText("text/plain")} {string.Join(",", _session.Variables.Select(v => v.Name + ":" + v.TypeText))}"); // local to its cell

        // The TorchSharp idiom: tensors made in the cell are disposed with the scope at its end, the moved-out one is not.
        Assert.Equal("6", await Value(
            "Tensor kept = null!;\n" +
            "using var scope = torch.NewDisposeScope();\n" +
            "var t = torch.ones(2, 3);\n" +
            "kept = scope.MoveToOuter(t.sum());\n" +
            "t.sum().item<float>()"));
        Assert.Equal("6", await Value("kept.item<float>()"));
        Assert.Equal("True", await Value("t.IsInvalid"));
    }

    [Fact]
    public async Task TrivialCellsLeaveNothingBehind()
    {
        Assert.Null(await Value("var total = 0;"));
        int references = _session.References.Count;
        for (int i = 0; i < 60; i++) Assert.Equal((i + 2).ToString(), await Value($"total = {i} + 1;\ntotal + 1"));
        Assert.Equal(references, _session.References.Count);
        Assert.Equal(0, _session.KeptAssemblies);
        for (int i = 0; i < 10 && _session.LiveLoadContexts > 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(_session.LiveLoadContexts <= 2, $"{_session.LiveLoadContexts} cell load contexts alive after 61 cells");
    }
}
