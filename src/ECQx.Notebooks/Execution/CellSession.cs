using ECQx.Notebooks.Nbformat;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// The one cell-execution core behind the headless runner and the Jupyter kernel: a chain of Roslyn
/// script submissions (the first cell starts the script, every further cell continues it, so variables,
/// functions and usings carry over), the cell directives (<c>#r</c>, <c>#!</c>; see <see cref="CellDirectives"/>),
/// output capture while the cell runs (<c>Console</c>, <c>display</c>, display updates), console input (see <see cref="ICellInput"/>), the trailing
/// expression's value, and cancellation (the cell's token is <see cref="CellCancellation.Token"/>; its own
/// loops and waits observe it, see <see cref="CancellationRewriter"/>). A failed cell leaves the state
/// as it was before the cell. Cells run one at a time.
/// </summary>
internal sealed class CellSession
{
    private static readonly CSharpParseOptions ScriptParseOptions =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    private readonly object _gate = new();
    private readonly NotebookGlobals _globals = new();
    private ScriptOptions _options;

    /// <summary>A session whose relative <c>#r</c> paths start at <paramref name="baseDirectory"/>.</summary>
    internal CellSession(string baseDirectory, PlotlyJsEmbedding plotlyJs)
    {
        BaseDirectory = Path.GetFullPath(baseDirectory);
        Formatter = new MimeFormatter(plotlyJs);
        _options = ScriptEnvironment.OptionsFor(BaseDirectory);
    }

    /// <summary>Where relative <c>#r</c> paths start.</summary>
    internal string BaseDirectory { get; }

    /// <summary>Formats values into MIME bundles for this session (remembers whether plotly.js was sent).</summary>
    internal MimeFormatter Formatter { get; }

    /// <summary>The script state after the last successful cell (null before the first).</summary>
    internal ScriptState<object>? State { get; private set; }

    /// <summary>The script options of the next cell (references added by <c>#r</c> so far).</summary>
    internal ScriptOptions Options => _options;

    /// <summary>The globals object every cell sees.</summary>
    internal NotebookGlobals Globals => _globals;

    /// <summary>The source of every cell that ran successfully, in order (what the completion workspace replays).</summary>
    internal List<string> History { get; } = [];

    /// <summary>
    /// A capture for the next cell's outputs, echoing to the given writers and passing outputs to <paramref name="listener"/>;
    /// the cell's reads of <see cref="Console.In"/> go to <paramref name="input"/> (default: a clear error, the headless runner has no stdin).
    /// </summary>
    internal CellCapture NewCapture(TextWriter? echoOut = null, TextWriter? echoErr = null, ICellOutputListener? listener = null, ICellInput? input = null) =>
        new(Formatter, _gate, echoOut, echoErr, listener, input);

    /// <summary>
    /// Runs <paramref name="source"/> as the next cell. <paramref name="label"/> (e.g. <c>cell-4</c>) is the
    /// script file name that compiler errors and stack frames show. Never throws for errors in the cell.
    /// </summary>
    internal async Task<CellOutcome> ExecuteAsync(string source, string label, CellCapture capture, CancellationToken cancellationToken)
    {
        ConsoleRouter.EnsureInstalled();
        CellDirectives.Result prepared;
        try
        {
            prepared = CellDirectives.Process(source, BaseDirectory, ScriptEnvironment.PreloadedAssemblyNames);
        }
        catch (CellDirectives.DirectiveException e)
        {
            return new CellOutcome(new CellError("DirectiveError", e.Message, e.Line, [$"{label}, line {e.Line}: {e.Message}"]), null, [], []);
        }
        if (prepared.References.Count > 0) _options = _options.AddReferences(prepared.References);

        ScriptState<object>? before = State;
        int variablesBefore = before?.Variables.Length ?? 0;
        // Set here, inside this async method, so the routing is undone for the caller when it returns.
        Display.Enter(capture);
        CellCancellation.Enter(cancellationToken);
        try
        {
            string code = CancellationRewriter.Rewrite(prepared.Code, ScriptParseOptions);
            ScriptOptions options = _options.WithFilePath(label);
            ScriptState<object> next = before is null
                ? await CSharpScript.RunAsync(code, options, _globals, typeof(NotebookGlobals), cancellationToken).ConfigureAwait(false)
                : await before.ContinueWithAsync(code, options, cancellationToken).ConfigureAwait(false);
            State = next;
            History.Add(prepared.Code);
            MimeBundle? result = next.ReturnValue is { } value and not DisplayHandle ? Formatter.Format(value) : null;
            return new CellOutcome(null, result, prepared.Notes, next.Variables.Skip(variablesBefore).ToList());
        }
        catch (CompilationErrorException e)
        {
            return new CellOutcome(CellErrors.Compile(e, label), null, prepared.Notes, []);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && CellErrors.Innermost(e) is OperationCanceledException)
        {
            return new CellOutcome(CellErrors.Cancelled(e, label), null, prepared.Notes, []);
        }
        catch (Exception e)
        {
            return new CellOutcome(CellErrors.Runtime(e, label), null, prepared.Notes, []);
        }
        finally
        {
            Display.Enter(null);
            CellCancellation.Enter(CancellationToken.None);
        }
    }
}
