using ECQx.Notebooks.Execution;

namespace ECQx.Notebooks.Scripting;

/// <summary>
/// The globals every notebook cell sees: <c>display(x)</c> and <c>HTML("...")</c>, named as in Polyglot
/// Notebooks so cells run unchanged in both. (Members are lower/upper case on purpose, to match.)
/// </summary>
public class NotebookGlobals
{
    /// <summary>Shows a value as an output of the running cell; see <see cref="Display.Show"/>.</summary>
    public DisplayHandle display(object? value) => Display.Show(value);

    /// <summary>Wraps trusted markup so that <c>display</c> shows it as HTML.</summary>
    public Html HTML(string markup) => new(markup ?? "");

    /// <summary>
    /// States what this run shows and checks it: <paramref name="statement"/> is shown with ✓ when <paramref name="holds"/>, with ✗
    /// "not in this run" otherwise, followed by <paramref name="evidence"/> (the numbers that decide it); see <see cref="Claims"/>.
    /// </summary>
    public NotebookClaim claim(string statement, bool holds, string evidence = "") => Claims.Check(statement, holds, evidence);

    /// <summary>Shows and records what run made the figures (mode, data, seeds); the gallery captions figures with it. See <see cref="Claims.DescribeRun"/>.</summary>
    public string describeRun(string description) => Claims.DescribeRun(description);

    /// <summary>
    /// The running cell's cancellation token: interrupting the cell in the kernel cancels it. Pass it to long
    /// library calls, e.g. <c>trainer.Run(Cancellation)</c>, so they stop at the next batch.
    /// </summary>
    public CancellationToken Cancellation => CellCancellation.Token;
}
