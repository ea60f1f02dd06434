namespace ECQx.Notebooks.Kernel;

/// <summary>
/// Console input of a cell whose execute request allows stdin: each line read sends an <c>input_request</c>
/// on the stdin channel to the client that sent the request (its identities, the request as parent), with
/// the not-yet-sent stdout text of the current line as the prompt, and waits for that client's
/// <c>input_reply</c> (<see cref="Answer"/>). An interrupt while waiting cancels the read (the cell ends as
/// Cancelled); a reply that arrives when no read is waiting is ignored.
/// </summary>
internal sealed class KernelInput : ICellInput
{
    private readonly Action<string> _sendRequest;
    private readonly Func<string> _takePrompt;
    private readonly object _gate = new();
    private TaskCompletionSource<string>? _waiting;

    /// <param name="sendRequest">Sends an <c>input_request</c> with the given prompt to the requesting client.</param>
    /// <param name="takePrompt">The pending stdout text of the current line (see <see cref="IopubOutputs.TakePrompt"/>).</param>
    internal KernelInput(Action<string> sendRequest, Func<string> takePrompt)
    {
        _sendRequest = sendRequest;
        _takePrompt = takePrompt;
    }

    /// <inheritdoc />
    public string ReadLine(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _waiting = waiting;
        try
        {
            _sendRequest(_takePrompt());
            waiting.Task.Wait(cancellationToken);
            return waiting.Task.Result;
        }
        finally
        {
            lock (_gate) _waiting = null;
        }
    }

    /// <summary>Hands an <c>input_reply</c>'s value to the waiting read; false when no read is waiting.</summary>
    internal bool Answer(string value)
    {
        lock (_gate) return _waiting?.TrySetResult(value) ?? false;
    }
}
