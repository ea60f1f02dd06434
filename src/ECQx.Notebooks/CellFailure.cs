namespace ECQx.Notebooks;

/// <summary>Why a run stopped: which cell, which line in it, and the error.</summary>
/// <param name="CellNumber">1-based position of the failing cell in the input notebook; null for the injected parameters cell.</param>
/// <param name="Line">1-based line within that cell, when known.</param>
/// <param name="ErrorName">Exception type name, <c>CompilationError</c>, <c>DirectiveError</c> or <c>ParameterError</c>.</param>
/// <param name="Message">The error message (for compile errors, the first error).</param>
/// <param name="Traceback">All error lines (every compiler error, or the exception with its script frames).</param>
public sealed record CellFailure(int? CellNumber, int? Line, string ErrorName, string Message, IReadOnlyList<string> Traceback)
{
    /// <summary>"cell 4, line 2: DivideByZeroException: Attempted to divide by zero."</summary>
    public override string ToString() =>
        $"{(CellNumber is int n ? $"cell {n}" : "injected parameters cell")}{(Line is int l ? $", line {l}" : "")}: {ErrorName}: {Message}";
}
