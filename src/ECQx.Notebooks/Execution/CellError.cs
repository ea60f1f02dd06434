namespace ECQx.Notebooks.Execution;

/// <summary>Why a cell failed: the error's name, message, the line in the cell and the traceback.</summary>
/// <param name="Name">Exception type name, <c>CompilationError</c>, <c>DirectiveError</c> or <c>Cancelled</c>.</param>
/// <param name="Message">The error message (for compile errors, the first error).</param>
/// <param name="Line">1-based line within the cell, when known.</param>
/// <param name="Traceback">All error lines (every compiler error, or the exception with its cell frames).</param>
public sealed record CellError(string Name, string Message, int? Line, IReadOnlyList<string> Traceback);
