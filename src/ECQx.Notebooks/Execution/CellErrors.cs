using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Turns compiler diagnostics and exceptions of a cell into a <see cref="CellError"/> whose line and
/// traceback name the cell (its label, e.g. <c>cell-4</c>, is the file name its lines are mapped to), with the
/// session's own frames left out and generated names (<c>__ecqx_Cell4.</c>) made readable.
/// </summary>
internal static partial class CellErrors
{
    /// <summary>The error of a cell that did not compile (lines and columns are the cell's, through its <c>#line</c> mapping).</summary>
    internal static CellError Compile(IReadOnlyList<Diagnostic> diagnostics, string label)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0) errors = diagnostics.ToList();
        errors = errors.OrderBy(d => Path.GetFileName(d.Location.GetMappedLineSpan().Path) == label ? 0 : 1)
            .ThenBy(d => d.Location.GetMappedLineSpan().StartLinePosition).ToList();
        var lines = errors.Select(d =>
        {
            FileLinePositionSpan span = d.Location.GetMappedLineSpan();
            string where = d.Location.IsInSource ? $"{Path.GetFileName(span.Path)}, line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}" : label;
            return $"{where}: error {d.Id}: {Readable(d.GetMessage(CultureInfo.InvariantCulture))}";
        }).ToList();
        Diagnostic first = errors[0];
        FileLinePositionSpan firstSpan = first.Location.GetMappedLineSpan();
        int? line = first.Location.IsInSource && Path.GetFileName(firstSpan.Path) == label ? firstSpan.StartLinePosition.Line + 1 : null;
        return new CellError("CompilationError", $"{first.Id}: {Readable(first.GetMessage(CultureInfo.InvariantCulture))}", line, lines);
    }

    /// <summary>
    /// Text without generated names, the one place that knows them: the cell class (<c>__ecqx_Cell4.Twice(int)</c> reads
    /// <c>Twice(int)</c>), Roslyn's script submission (<c>Submission#3.</c>, in the kernel's completion), and the
    /// stand-ins of anonymous types (<c>__ecqx_Anonymous2&lt;int, string&gt;</c> reads <c>anonymous type&lt;int, string&gt;</c>).
    /// </summary>
    internal static string Readable(string text) =>
        AnonymousShape().Replace(CellClassPrefix().Replace(SubmissionPrefix().Replace(text, ""), ""), "anonymous type");

    internal static CellError Runtime(Exception e, string label)
    {
        e = Innermost(e);
        var frames = new StackTrace(e, fNeedFileInfo: true).GetFrames();
        // Script file paths come back resolved against the base directory; the file name is the cell label.
        static string? CellOf(StackFrame f) => f.GetFileLineNumber() > 0 && f.GetFileName() is { } file ? Path.GetFileName(file) : null;
        StackFrame? own = frames.FirstOrDefault(f => CellOf(f) == label);
        StackFrame? origin = frames.FirstOrDefault(f => CellOf(f)?.StartsWith("cell-", StringComparison.Ordinal) == true);
        string message = e.Message;
        if (origin is not null && CellOf(origin) != label)
        {
            string where = CellOf(origin) == "cell-injected-parameters" ? "the injected parameters cell" : "cell " + CellOf(origin)!["cell-".Length..];
            message += $" (raised in {where}, line {origin.GetFileLineNumber()})";
        }
        List<string> traceback = Traceback(e);
        if (own is not null) traceback.Insert(0, $"{label}, line {own.GetFileLineNumber()}: {e.GetType().Name}: {message}");
        return new CellError(e.GetType().Name, message, own?.GetFileLineNumber(), traceback);
    }

    /// <summary>The error of an interrupted (cancelled) cell, naming the line it stopped at when known.</summary>
    internal static CellError Cancelled(Exception e, string label)
    {
        e = Innermost(e);
        int? line = new StackTrace(e, fNeedFileInfo: true).GetFrames()
            .FirstOrDefault(f => f.GetFileLineNumber() > 0 && f.GetFileName() is { } file && Path.GetFileName(file) == label)?.GetFileLineNumber();
        string message = line is int l ? $"The cell was interrupted at line {l}." : "The cell was interrupted.";
        return new CellError("Cancelled", message, line, [$"{label}{(line is int n ? $", line {n}" : "")}: Cancelled: {message}"]);
    }

    internal static Exception Innermost(Exception e)
    {
        while ((e is AggregateException { InnerExceptions.Count: 1 } || e is System.Reflection.TargetInvocationException) && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    [GeneratedRegex(@"(__ecqx\.)?__ecqx_Cell\d+\.(<__ecqx_Run>d__\d+\.MoveNext|__ecqx_Run)\(\)")]
    private static partial Regex CellBodyFrame();

    [GeneratedRegex(@" in [^\n]*?[/\\]?(cell-[A-Za-z0-9-]+):line")]
    private static partial Regex CellPath();

    [GeneratedRegex(@"(global::)?(__ecqx\.)?__ecqx_Cell\d+[.+]")]
    private static partial Regex CellClassPrefix();

    [GeneratedRegex(@"Submission#\d+\.")]
    private static partial Regex SubmissionPrefix();

    [GeneratedRegex(@"(global::)?(__ecqx\.)?" + AnonymousShapes.TypePrefix + @"\d+")]
    private static partial Regex AnonymousShape();

    /// <summary>The exception text with the engine's own frames left out and cell frames made readable.</summary>
    private static List<string> Traceback(Exception e)
    {
        string[] noise =
        [
            "   at ECQx.Notebooks.NotebookRunner", "   at ECQx.Notebooks.Execution.", "   at System.Runtime.CompilerServices.",
            "   at System.Runtime.ExceptionServices.", "   at System.Threading.ExecutionContext.", "   at System.Threading.Tasks.",
        ];
        var kept = new List<string>();
        foreach (string raw in e.ToString().Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (noise.Any(n => line.StartsWith(n, StringComparison.Ordinal))) continue;
            line = CellPath().Replace(Readable(CellBodyFrame().Replace(line, "<cell>")), " in $1:line");
            if (line.StartsWith("--- End of stack trace", StringComparison.Ordinal) && kept.Count > 0 && kept[^1].StartsWith("--- End of stack trace", StringComparison.Ordinal))
                continue;
            kept.Add(line);
        }
        while (kept.Count > 0 && kept[^1].StartsWith("--- End of stack trace", StringComparison.Ordinal)) kept.RemoveAt(kept.Count - 1);
        return kept;
    }
}
