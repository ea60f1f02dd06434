using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// Turns compiler diagnostics and exceptions of a cell into a <see cref="CellError"/> whose line and
/// traceback name the cell (its label, e.g. <c>cell-4</c>, is the script's file path), with the
/// scripting engine's own frames left out.
/// </summary>
internal static partial class CellErrors
{
    internal static CellError Compile(CompilationErrorException e, string label)
    {
        var errors = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0) errors = e.Diagnostics.ToList();
        var lines = errors.Select(d =>
        {
            FileLinePositionSpan span = d.Location.GetLineSpan();
            string where = d.Location.IsInSource ? $"{Path.GetFileName(span.Path)}, line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}" : label;
            return $"{where}: error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
        }).ToList();
        Diagnostic first = errors.FirstOrDefault(d => Path.GetFileName(d.Location.GetLineSpan().Path) == label) ?? errors[0];
        int? line = first.Location.IsInSource && Path.GetFileName(first.Location.GetLineSpan().Path) == label ? first.Location.GetLineSpan().StartLinePosition.Line + 1 : null;
        return new CellError("CompilationError", $"{first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}", line, lines);
    }

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

    [GeneratedRegex(@"Submission#\d+\.<<Initialize>>d__\d+\.MoveNext\(\)")]
    private static partial Regex CellBodyFrame();

    [GeneratedRegex(@" in [^\n]*?[/\\]?(cell-[A-Za-z0-9-]+):line")]
    private static partial Regex CellPath();

    [GeneratedRegex(@"Submission#\d+\.")]
    private static partial Regex SubmissionPrefix();

    /// <summary>The exception text with the engine's own frames left out and cell frames made readable.</summary>
    private static List<string> Traceback(Exception e)
    {
        string[] noise =
        [
            "   at Microsoft.CodeAnalysis.Scripting.", "   at ECQx.Notebooks.NotebookRunner", "   at ECQx.Notebooks.Execution.", "   at System.Runtime.CompilerServices.",
            "   at System.Runtime.ExceptionServices.", "   at System.Threading.ExecutionContext.", "   at System.Threading.Tasks.",
        ];
        var kept = new List<string>();
        foreach (string raw in e.ToString().Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (noise.Any(n => line.StartsWith(n, StringComparison.Ordinal))) continue;
            line = CellPath().Replace(SubmissionPrefix().Replace(CellBodyFrame().Replace(line, "<cell>"), ""), " in $1:line");
            if (line.StartsWith("--- End of stack trace", StringComparison.Ordinal) && kept.Count > 0 && kept[^1].StartsWith("--- End of stack trace", StringComparison.Ordinal))
                continue;
            kept.Add(line);
        }
        while (kept.Count > 0 && kept[^1].StartsWith("--- End of stack trace", StringComparison.Ordinal)) kept.RemoveAt(kept.Count - 1);
        return kept;
    }
}
