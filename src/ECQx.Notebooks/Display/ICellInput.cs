namespace ECQx.Notebooks;

/// <summary>
/// Answers a running cell's reads of <see cref="Console.In"/> (<c>Console.ReadLine()</c> and friends), one line
/// at a time: the kernel asks the front end with an <c>input_request</c> when the client allows stdin;
/// otherwise <see cref="CellInput.Unavailable"/> makes the read fail with a message that says why.
/// </summary>
internal interface ICellInput
{
    /// <summary>The next line the user typed (without its line end). Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled while waiting.</summary>
    string ReadLine(CancellationToken cancellationToken);
}

/// <summary>The input sources that never answer: reading fails at once with a clear error instead of hanging or returning null.</summary>
internal static class CellInput
{
    /// <summary>What the headless runner (and any capture without an input source) answers.</summary>
    internal static readonly ICellInput Headless = Unavailable(
        "This cell reads input (Console.ReadLine / Console.In), but the headless runner has no stdin to answer it. " +
        "Set the value in the cell (or pass it as a notebook parameter) instead, or run the cell in a Jupyter front end that answers input requests.");

    /// <summary>What the kernel answers when the execute request has <c>allow_stdin</c> false.</summary>
    internal static readonly ICellInput ClientDisallowsStdin = Unavailable(
        "This cell reads input (Console.ReadLine / Console.In), but the client does not allow stdin (its execute_request has allow_stdin=false, " +
        "as nbclient and other headless clients send). Set the value in the cell instead, or run the cell from a front end that answers " +
        "input requests (Jupyter Notebook, JupyterLab, VS Code).");

    /// <summary>An input source whose every read throws <see cref="InvalidOperationException"/> with <paramref name="message"/>.</summary>
    internal static ICellInput Unavailable(string message) => new UnavailableInput(message);

    private sealed class UnavailableInput(string message) : ICellInput
    {
        public string ReadLine(CancellationToken cancellationToken) => throw new InvalidOperationException(message);
    }
}
