using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks.Execution;

/// <summary>What running one cell gave.</summary>
/// <param name="Error">Why the cell failed, or null when it ran to the end.</param>
/// <param name="Result">The formatted value of the cell's trailing expression (null when there is none, or it is a display handle).</param>
/// <param name="Notes">Notes about the cell's directives (a carried package at another version).</param>
/// <param name="NewVariables">The script variables the cell declared (empty when it failed).</param>
internal sealed record CellOutcome(CellError? Error, MimeBundle? Result, IReadOnlyList<string> Notes, IReadOnlyList<DeclaredVariable> NewVariables)
{
    /// <summary>True when the cell ran to the end.</summary>
    public bool Succeeded => Error is null;
}
