using System.Diagnostics;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Execution;
using ECQx.Notebooks.Nbformat;
using ECQx.Notebooks.Scripting;

namespace ECQx.Notebooks;

/// <summary>
/// Runs the C# code cells of a notebook in order, headless: a thin client of the cell-execution core
/// (<see cref="CellSession"/>, shared with the Jupyter kernel), which continues one Roslyn script from cell
/// to cell, so variables, functions and usings carry over. The runner adds the notebook around it: the
/// <c>parameters</c> cell and its injected overrides, cell numbers, and the executed copy. Each cell's printed text, displayed values and final value become nbformat 4 outputs; the first failing
/// cell stops the run, and the result still holds the notebook executed up to and including that cell.
/// One runner can run many notebooks; the reference set is built once per process.
/// </summary>
public sealed class NotebookRunner
{
    private readonly NotebookRunnerOptions _options;

    /// <summary>Creates a runner.</summary>
    public NotebookRunner(NotebookRunnerOptions? options = null) => _options = options ?? new NotebookRunnerOptions();

    /// <summary>
    /// Loads <paramref name="inputPath"/>, runs it with the notebook's folder as the base for relative
    /// <c>#r</c> paths, and writes the executed copy to <paramref name="outputPath"/> (default:
    /// <see cref="DefaultOutputPath"/>) atomically, also when a cell fails.
    /// </summary>
    /// <exception cref="NotebookRunException">The notebook cannot be run at all (nothing is written).</exception>
    /// <exception cref="InvalidDataException">The file is not an nbformat 4 notebook.</exception>
    public async Task<(NotebookRunResult Result, string OutputPath)> RunFileAsync(
        string inputPath, string? outputPath = null, IReadOnlyList<KeyValuePair<string, string>>? parameters = null,
        CancellationToken cancellationToken = default)
    {
        string input = Path.GetFullPath(inputPath);
        string output = Path.GetFullPath(outputPath ?? DefaultOutputPath(input));
        if (string.Equals(input, output, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new NotebookRunException($"The output path is the input notebook '{input}'; notebooks are kept without outputs, so write the executed copy elsewhere (--output).");
        NotebookDocument notebook = NotebookDocument.Load(input);
        NotebookRunResult result = await RunAsync(notebook, parameters, Path.GetDirectoryName(input), cancellationToken).ConfigureAwait(false);
        result.Notebook.Save(output);
        return (result, output);
    }

    /// <summary>
    /// <c>results/notebooks/&lt;name&gt;.ipynb</c> under the repository root (the nearest folder above the
    /// notebook holding <c>ECQx.Research.sln</c>), or under the current directory when there is none.
    /// </summary>
    public static string DefaultOutputPath(string inputPath)
    {
        string full = Path.GetFullPath(inputPath);
        string? dir = Path.GetDirectoryName(full);
        while (dir is not null && !File.Exists(Path.Combine(dir, "ECQx.Research.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? Directory.GetCurrentDirectory(), "results", "notebooks", Path.GetFileName(full));
    }

    /// <summary>
    /// Runs a copy of <paramref name="notebook"/> (the argument is not changed) and returns the executed copy.
    /// </summary>
    /// <param name="notebook">The notebook.</param>
    /// <param name="parameters">Overrides for the cell tagged <c>parameters</c> (see <see cref="NotebookParameters"/>).</param>
    /// <param name="baseDirectory">Where relative <c>#r</c>/<c>#load</c> paths start (default: current directory).</param>
    /// <param name="cancellationToken">Stops the run before the next cell (and inside cells that observe it).</param>
    /// <exception cref="NotebookRunException">Parameters were given but no code cell is tagged <c>parameters</c>, or the notebook's kernel is not C#.</exception>
    public async Task<NotebookRunResult> RunAsync(
        NotebookDocument notebook, IReadOnlyList<KeyValuePair<string, string>>? parameters = null, string? baseDirectory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        var clock = Stopwatch.StartNew();
        NotebookDocument nb = notebook.Clone();
        parameters ??= [];
        CheckNotebookKernel(nb);
        var plan = Plan(nb, parameters);
        string baseDir = Path.GetFullPath(baseDirectory ?? Directory.GetCurrentDirectory());

        var notes = new List<string>();
        var session = new CellSession(baseDir, _options.PlotlyJs);
        IReadOnlyDictionary<string, Type>? parameterVariables = null;
        CellFailure? failure = null;
        int executed = 0;
        int codeCells = plan.Count(c => NotebookDocument.TypeOf(c.Cell) == "code");

        string? previousDirectory = null;
        if (_options.WorkingDirectory is { } wd)
        {
            previousDirectory = Directory.GetCurrentDirectory();
            Directory.SetCurrentDirectory(wd);
        }
        try
        {
            for (int k = 0; k < plan.Count && failure is null; k++)
            {
                (JsonObject cell, int? number) = plan[k];
                if (NotebookDocument.TypeOf(cell) != "code") continue;
                if (cancellationToken.IsCancellationRequested)
                {
                    failure = new CellFailure(number, null, "Cancelled", "The run was cancelled before this cell.", ["The run was cancelled before this cell."]);
                    break;
                }
                executed++;
                cell["execution_count"] = executed;
                string label = number is int n ? $"cell-{n}" : "cell-injected-parameters";
                var cellClock = Stopwatch.StartNew();
                _options.Log?.WriteLine($"[{executed}/{codeCells}] {(number is int m ? $"cell {m}" : "injected parameters cell")} ...");

                CellCapture capture = session.NewCapture(
                    _options.EchoCellOutput ? ConsoleRouter.OriginalOut : null,
                    _options.EchoCellOutput ? ConsoleRouter.OriginalError : null);
                var outputs = new List<JsonObject>();
                try
                {
                    string source;
                    if (number is null)
                    {
                        source = NotebookParameters.InjectedSource(parameters, parameterVariables ?? new Dictionary<string, Type>(), plan.ParametersCellNumber ?? 0);
                        cell["source"] = NotebookDocument.LinesArray(source);
                    }
                    else
                    {
                        source = NotebookDocument.SourceOf(cell);
                        CheckCellKernel(cell);
                    }
                    CellOutcome outcome = await session.ExecuteAsync(source, label, capture, cancellationToken).ConfigureAwait(false);
                    notes.AddRange(outcome.Notes.Select(x => $"{(number is int c ? $"cell {c}" : "injected cell")}, {x}"));
                    outputs.AddRange(capture.ToOutputs());
                    if (outcome.Error is { } error)
                        failure = new CellFailure(number, error.Line, error.Name, error.Message, error.Traceback);
                    else if (outcome.Result is { } value)
                        outputs.Add(Outputs.ExecuteResult(value, executed));
                    if (failure is null && number == plan.ParametersCellNumber && plan.HasInjectedCell)
                        parameterVariables = outcome.NewVariables.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.Last().Type);
                }
                catch (ArgumentException e) when (number is null)
                {
                    failure = new CellFailure(null, null, "ParameterError", e.Message, [e.Message]);
                }
                catch (UnsupportedKernelException e)
                {
                    failure = new CellFailure(number, null, "DirectiveError", e.Message, [e.Message]);
                }
                if (failure is not null) outputs.Add(Outputs.Error(failure.ErrorName, failure.Message, failure.Traceback));
                cell["outputs"] = new JsonArray(outputs.Select(o => (JsonNode?)o).ToArray());
                _options.Log?.WriteLine(failure is null
                    ? FormattableString.Invariant($"    ok ({cellClock.Elapsed.TotalSeconds:0.0} s)")
                    : $"    FAILED: {failure}");
            }
        }
        finally
        {
            if (previousDirectory is not null) Directory.SetCurrentDirectory(previousDirectory);
        }

        clock.Stop();
        RecordRun(nb, parameters, failure, clock.Elapsed);
        foreach (string note in notes) _options.Log?.WriteLine("note: " + note);
        return new NotebookRunResult(nb, failure, executed, notes, clock.Elapsed);
    }

    /// <summary>The cells to run in order (each with its 1-based number in the input, null for the injected one).</summary>
    private sealed class RunPlan : List<(JsonObject Cell, int? Number)>
    {
        public int? ParametersCellNumber { get; init; }

        public bool HasInjectedCell { get; init; }
    }

    private static RunPlan Plan(NotebookDocument nb, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        JsonArray cells = nb.Cells;
        var entries = new List<(JsonObject, int?)>();
        int? parametersCell = null;
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = (JsonObject)cells[i]!;
            if (nb.FormatMinor >= 5 && cell["id"] is null) cell["id"] = nb.UniqueCellId($"cell-{i + 1}");
            if (NotebookDocument.TypeOf(cell) == "code")
            {
                cell["outputs"] = new JsonArray();
                cell["execution_count"] = null;
                if (parametersCell is null && NotebookDocument.TagsOf(cell).Contains(NotebookParameters.ParametersTag)) parametersCell = i + 1;
            }
            entries.Add((cell, i + 1));
        }
        if (parameters.Count > 0)
        {
            if (parametersCell is not int p)
                throw new NotebookRunException(
                    $"Notebook '{nb.Name}' has no code cell tagged '{NotebookParameters.ParametersTag}', so --param {parameters[0].Key}=… has nothing to override. " +
                    "Tag the cell that assigns the defaults (cell metadata \"tags\": [\"parameters\"]).");
            JsonObject injected = NotebookDocument.NewCell("code", "", [NotebookParameters.InjectedTag]);
            if (nb.FormatMinor >= 5) injected["id"] = nb.UniqueCellId(NotebookParameters.InjectedTag);
            cells.Insert(p, injected);
            entries.Insert(p, (injected, null));
        }
        var plan = new RunPlan { ParametersCellNumber = parametersCell, HasInjectedCell = parameters.Count > 0 };
        plan.AddRange(entries);
        return plan;
    }

    private sealed class UnsupportedKernelException(string message) : Exception(message);

    private static readonly HashSet<string> CSharpNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", ".net-csharp", "polyglot-notebook" };

    private static void CheckNotebookKernel(NotebookDocument nb)
    {
        if (nb.Metadata["kernelspec"]?["language"] is JsonValue v && v.TryGetValue(out string? language) && !CSharpNames.Contains(language))
            throw new NotebookRunException($"Notebook '{nb.Name}' is a {language} notebook (metadata.kernelspec.language); the runner runs C# notebooks.");
    }

    private static void CheckCellKernel(JsonObject cell)
    {
        string? kernel = cell["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                         ?? cell["metadata"]?["dotnet_interactive"]?["language"]?.GetValue<string>();
        if (kernel is not null && !CSharpNames.Contains(kernel))
            throw new UnsupportedKernelException($"the cell uses the '{kernel}' kernel (cell metadata); the headless runner runs C# cells only.");
    }

    private static void RecordRun(NotebookDocument nb, IReadOnlyList<KeyValuePair<string, string>> parameters, CellFailure? failure, TimeSpan duration)
    {
        var record = new JsonObject
        {
            ["runner"] = "ecqx notebook run (ECQx.Notebooks, Roslyn scripting)",
            ["status"] = failure is null ? "completed" : "failed",
            ["duration_seconds"] = Math.Round(duration.TotalSeconds, 3),
            ["parameters"] = new JsonObject(parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        };
        if (failure is not null) record["failure"] = failure.ToString();
        nb.Metadata["ecqx_run"] = record;
    }
}
