using ECQx.Notebooks;
using ECQx.Notebooks.Execution;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// The two kinds of top-level variables that per-cell compilation once left local to their cell: the variables of a
/// deconstruction (<c>var (a, b) = …;</c> in all its forms) and variables of an anonymous type (<c>new { … }</c>, and
/// generics over them such as a list). Cells run in sequence through <see cref="CellSession"/>, the core of both the
/// kernel and the headless runner; each later cell uses the variables with members, LINQ and lambdas that compile only
/// when their types are the ones the compiler inferred.
/// </summary>
[Collection(NotebookRunnerCollection.Name)]
public sealed class CellSessionVariableTests
{
    private readonly CellSession _session = new(Path.GetTempPath(), PlotlyJsEmbedding.EveryFigure);
    private int _cells;

    private async Task<CellOutcome> Run(string code) =>
        await _session.ExecuteAsync(code, $"cell-{++_cells}", _session.NewCapture(), CancellationToken.None);

    private async Task<string?> Value(string code)
    {
        CellOutcome outcome = await Run(code);
        Assert.True(outcome.Succeeded, $"{code}\n{outcome.Error}");
        return outcome.Result?.GetText("text/plain");
    }

    private string TypeOf(string name) => _session.Variables.Single(v => v.Name == name).Type!.Name;

    [Fact]
    public async Task DeconstructedVariablesPersistWithTheTypesTheCompilerInfers()
    {
        Assert.Null(await Value("var (a, b) = (1, \"two\");\n(var c, var d) = (2.5, new List<int> { 1, 2 });"));
        Assert.Equal("4", await Value("a + b.Length"));                      // int and string: members of the inferred types
        Assert.Equal("5.5", await Value("c + d.Sum()"));
        Assert.Equal(("Int32", "String", "Double", "List`1"), (TypeOf("a"), TypeOf("b"), TypeOf("c"), TypeOf("d")));

        Assert.Null(await Value("var (e, (f, g)) = (1, (2L, 'x'));\n(long h, object i) = (3, \"boxed\");"));
        Assert.Equal(("Int64", "Char", "Int64", "Object"), (TypeOf("f"), TypeOf("g"), TypeOf("h"), TypeOf("i"))); // declared types win over the values'
        Assert.Equal("x!", await Value("g + \"!\""));

        // A Deconstruct method of a record declared in the same cell; a method of that cell shares the variables' storage.
        Assert.Null(await Value("record Pair(int Left, string Right);\nvar (left, right) = new Pair(2, \"r\");\nint Twice() => left * 2;"));
        Assert.Equal("4", await Value("Twice()"));
        Assert.Equal("14", await Value("left = 7;\nTwice()"));

        // Mixed with an existing variable, a discard, and an assignment later in the declaring cell.
        Assert.Null(await Value("int existing = 0;"));
        Assert.Null(await Value("(existing, var fresh) = (5, 6);\nvar (kept, _) = (8, 9);\nkept += 10;"));
        Assert.Equal("5 6 18", await Value("$\"{existing} {fresh} {kept}\""));

        // An async cell (its variables are properties there, not refs).
        Assert.Null(await Value("var (p, q) = await Task.FromResult((3, \"q\"));"));
        Assert.Equal("3q", await Value("p + q"));
    }

    [Fact]
    public async Task ADeconstructionInALaterCellRedefinesItsVariables()
    {
        Assert.Null(await Value("var (a, b) = (1, 2);\nint Sum() => a + b;"));
        Assert.Null(await Value("var (a, b) = (\"x\", 2.5);"));                 // new variables of other types
        Assert.Equal("X 5", await Value("$\"{a.ToUpperInvariant()} {b * 2}\""));
        Assert.Equal("3", await Value("Sum()"));                               // the method keeps the variables it was written against
        Assert.Null(await Value("var a = new[] { 4, 5 };"));
        Assert.Equal("9", await Value("a.Sum()"));
        CellOutcome twice = await Run("var (m, n) = (1, 2);\nvar m = 3;");
        Assert.Contains("CS0128", twice.Error!.Message);                       // one name twice in a cell stays an error
    }

    [Fact]
    public async Task AnonymousObjectsAndListsOfThemPersistAndWorkWithLinqInLaterCells()
    {
        Assert.Null(await Value("var point = new { X = 1, Name = \"a\" };\nvar rows = Enumerable.Range(1, 4).Select(i => new { I = i, Square = i * i }).ToList();"));
        Assert.Equal("{ X = 1, Name = a }", await Value("point"));                // the text of an anonymous object
        Assert.Equal("2", await Value("point.X + point.Name.Length"));
        Assert.Equal("20", await Value("rows.Where(r => r.I % 2 == 0).Sum(r => r.Square)"));
        Assert.Equal("[16, 9, 4, 1]", await Value("rows.Select(r => r.Square).OrderByDescending(s => s).ToList()"));
        Assert.Equal("4", await Value("rows.MaxBy(r => r.Square)!.I"));

        // The same shape made in another cell is the same type; equality and `with` behave as for anonymous objects.
        Assert.Equal("5", await Value("rows.Concat(new[] { new { I = 9, Square = 81 } }).Count()"));
        Assert.Equal("True False 7", await Value("$\"{point.Equals(new { X = 1, Name = \"a\" })} {point.Equals(new { X = 2, Name = \"a\" })} {(point with { X = 7 }).X}\""));
        Assert.Equal("True", await Value("point == new { X = 1, Name = \"a\" }"));  // unlike an anonymous type's (by reference), as notebooks/README says

        // Nested, grouped, and a list of a new shape made from an earlier list.
        Assert.Null(await Value("var nested = new { Inner = new { V = 3 }, Tags = new[] { \"t\" } };\n" +
                                "var byParity = rows.GroupBy(r => r.I % 2).Select(g => new { Parity = g.Key, Total = g.Sum(r => r.Square) }).ToList();"));
        Assert.Equal("6 t", await Value("$\"{nested.Inner.V * 2} {nested.Tags[0]}\""));
        Assert.Equal("1:10 0:20", await Value("string.Join(\" \", byParity.Select(b => $\"{b.Parity}:{b.Total}\"))"));

        // display: a table with one column per property (nothing of the record behind the shape).
        CellOutcome table = await Run("rows");
        string html = table.Result!.GetText("text/html")!;
        Assert.Contains("<th>I</th><th>Square</th></tr>", html);
        Assert.Contains("<td>3</td><td>9</td>", html);
        Assert.DoesNotContain("EqualityContract", html);

        // An error names the shape readably.
        CellOutcome wrong = await Run("point.Z");
        Assert.Contains("'anonymous type<int, string>' does not contain a definition for 'Z'", wrong.Error!.Message);
    }

    [Fact]
    public async Task AnonymousVariablesCanBeRedefinedAndMethodsMakeThemToo()
    {
        Assert.Null(await Value("var item = new { Weight = 2.5 };\nint Count(int n) => Enumerable.Range(0, n).Select(i => new { i, Odd = i % 2 == 1 }).Count(x => x.Odd);"));
        Assert.Null(await Value("var item = new { Weight = \"heavy\", Count = 2 };"));
        Assert.Equal("5 2", await Value("$\"{item.Weight.Length} {item.Count}\""));
        Assert.Equal("2", await Value("Count(5)"));
        Assert.Null(await Value("var (pair, count) = (new { A = 1 }, 3);"));   // a deconstruction with an anonymous object
        Assert.Equal("4", await Value("pair.A + count"));

        // Running the same cell again compiles no new shape: nothing is kept beyond the first run.
        Assert.Null(await Value("var again = new[] { 1, 2 }.Select(v => new { v, Twice = 2 * v }).ToList();"));
        int kept = _session.KeptAssemblies;
        for (int i = 0; i < 5; i++) Assert.Null(await Value("var again = new[] { 1, 2 }.Select(v => new { v, Twice = 2 * v }).ToList();"));
        Assert.Equal(kept, _session.KeptAssemblies);
        Assert.Equal("6", await Value("again.Sum(a => a.Twice)"));
    }

    [Fact]
    public async Task AnonymousObjectsTheCompilerRefusesKeepItsErrorsAndColumns()
    {
        CellOutcome lambda = await Run("var f = new { F = (int x) => x };");
        Assert.Contains("CS0828", lambda.Error!.Message);                     // the compiler's own error for an anonymous type
        const string Code = "var q = new { X = 1, Y = nope };";
        CellOutcome missing = await Run(Code);
        Assert.Contains(missing.Error!.Traceback, l => l.StartsWith($"cell-2, line 1, column {Code.IndexOf("nope", StringComparison.Ordinal) + 1}: error CS0103", StringComparison.Ordinal));
        CellOutcome spread = await Run("var spread = new\n{\n    A = 1,\n    B = nope,\n};\nvar tight = new{C = nope};");
        Assert.Contains(spread.Error!.Traceback, l => l.StartsWith("cell-3, line 4, column 9: error CS0103", StringComparison.Ordinal));
        Assert.Contains(spread.Error!.Traceback, l => l.StartsWith("cell-3, line 6, column ", StringComparison.Ordinal)); // `new{`: the line is kept
        // A name that a record declares itself stays an anonymous type of its cell: usable there, an object later.
        Assert.Equal("1", await Value("var odd = new { ToString = 1 };\nodd.ToString"));
        Assert.Equal("Object", TypeOf("odd"));
        Assert.Null(await Value("var (strange, plain) = (new { GetHashCode = 2 }, 3);"));
        Assert.Equal(("Object", "3"), (TypeOf("strange"), await Value("plain")));

        // A member whose type the compiler cannot tell (it uses a variable before the cell declares it): the compiler's
        // error, nothing of the generated shapes.
        CellOutcome unknown = await Run("var (first, second) = (later.Count, 1);\nvar later = new[] { 1 }.Select(i => new { I = i + first, J = second }).ToList();");
        Assert.Contains("CS0841", unknown.Error!.Message);
        Assert.DoesNotContain(unknown.Error.Traceback, l => l.Contains("__", StringComparison.Ordinal));
    }
}
