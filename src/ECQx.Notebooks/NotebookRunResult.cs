using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks;

/// <summary>The outcome of a notebook run: the executed notebook (complete or up to the failing cell) and what happened.</summary>
/// <param name="Notebook">The executed copy, with outputs; cells after a failure have none.</param>
/// <param name="Failure">Why the run stopped, or null when every cell ran.</param>
/// <param name="ExecutedCells">Number of code cells executed (including a failing one and the injected parameters cell).</param>
/// <param name="Notes">Things worth telling the user that did not stop the run (package version differences).</param>
/// <param name="Duration">Wall time of the run.</param>
public sealed record NotebookRunResult(
    NotebookDocument Notebook, CellFailure? Failure, int ExecutedCells, IReadOnlyList<string> Notes, TimeSpan Duration)
{
    /// <summary>True when every code cell ran without error.</summary>
    public bool Succeeded => Failure is null;
}
