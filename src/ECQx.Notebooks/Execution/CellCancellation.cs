using System.ComponentModel;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// The cancellation token of the running cell. The kernel cancels it when the user interrupts the cell;
/// the headless runner when its run is cancelled. Cells see it as the global <c>Cancellation</c> and pass
/// it to long library calls (<c>trainer.Run(Cancellation)</c>, <c>runner.Run(Cancellation)</c>). Loops
/// and waits written in a cell observe it without being asked: before compiling, every loop body starts
/// with <see cref="ThrowIfRequested"/>, and <c>Thread.Sleep</c>/<c>Task.Delay</c> become
/// <see cref="Sleep(int)"/>/<see cref="Delay(int)"/> (see <c>CancellationRewriter</c>).
/// Outside a cell the token is <see cref="CancellationToken.None"/>.
/// </summary>
public static class CellCancellation
{
    private static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>The running cell's token (flows into tasks and threads the cell starts).</summary>
    public static CancellationToken Token => Current.Value;

    /// <summary>Throws <see cref="OperationCanceledException"/> when the running cell was interrupted.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ThrowIfRequested() => Current.Value.ThrowIfCancellationRequested();

    /// <summary><c>Thread.Sleep</c> that wakes up and throws when the cell is interrupted.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Sleep(int millisecondsTimeout)
    {
        CancellationToken token = Current.Value;
        token.WaitHandle.WaitOne(millisecondsTimeout);
        token.ThrowIfCancellationRequested();
    }

    /// <inheritdoc cref="Sleep(int)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Sleep(TimeSpan timeout)
    {
        CancellationToken token = Current.Value;
        token.WaitHandle.WaitOne(timeout);
        token.ThrowIfCancellationRequested();
    }

    /// <summary><c>Task.Delay</c> that ends (cancelled) when the cell is interrupted.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task Delay(int millisecondsDelay) => Task.Delay(millisecondsDelay, Current.Value);

    /// <inheritdoc cref="Delay(int)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task Delay(TimeSpan delay) => Task.Delay(delay, Current.Value);

    /// <summary>Makes <paramref name="token"/> the token of the cell running on this execution flow.</summary>
    internal static void Enter(CancellationToken token) => Current.Value = token;
}
