using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using ECQx.Notebooks.Execution;
using Microsoft.CodeAnalysis.CSharp;

namespace ECQx.Notebooks.Kernel;

/// <summary>
/// The C# (ECQx) Jupyter kernel: Jupyter messaging protocol 5.3 over ZeroMQ in front of the same
/// cell-execution core as the headless runner (<see cref="CellSession"/>). Shell requests run one at a
/// time on a worker thread, in arrival order; <c>interrupt_request</c> (on control or shell) and
/// <c>shutdown_request</c> are answered at once on the socket thread, so they reach a running cell.
/// A cell that reads <see cref="Console.In"/> asks the client with <c>input_request</c> on stdin when its
/// execute request allows stdin (see <see cref="KernelInput"/>), and fails with a clear error otherwise.
/// Messages whose signature does not match the connection key are dropped and logged.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly MessageSigner _signer;
    private readonly TextWriter _log;
    private readonly CellSession _session;
    private readonly CodeAssistant _assistant;
    private readonly BlockingCollection<(JupyterMessage Message, long Arrival)> _shellQueue = new();
    private readonly ManualResetEventSlim _stopped = new();
    private readonly string _kernelSession = Guid.NewGuid().ToString("N");
    private readonly object _runningGate = new();
    private KernelSockets? _sockets;
    private CancellationTokenSource? _running;
    private KernelInput? _input;
    private int _executionCount;
    private long _shellArrivals;
    private long _abortArrivalsBefore;

    /// <summary>A kernel for <paramref name="connection"/>; <paramref name="log"/> receives what the kernel itself reports (dropped messages, errors).</summary>
    public JupyterKernel(ConnectionInfo connection, TextWriter log, string? workingDirectory = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _signer = new MessageSigner(connection.Key);
        _session = new CellSession(workingDirectory ?? Directory.GetCurrentDirectory(), PlotlyJsEmbedding.OncePerNotebook);
        _assistant = new CodeAssistant(_session);
    }

    /// <summary>
    /// Runs a kernel for the connection file until a client asks it to shut down. Returns the process
    /// exit code: 0 after a shutdown, 2 when the file is bad or a port cannot be bound (reported on <paramref name="log"/>).
    /// </summary>
    public static int Run(string connectionFile, TextWriter log)
    {
        ConnectionInfo connection;
        try
        {
            connection = ConnectionInfo.Load(connectionFile);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"ecqx kernel: {e.Message}");
            return 2;
        }
        using var kernel = new JupyterKernel(connection, log);
        try
        {
            kernel.Start();
        }
        catch (IOException e)
        {
            log.WriteLine($"ecqx kernel: {e.Message}");
            return 2;
        }
        kernel.WaitForShutdown();
        return 0;
    }

    /// <summary>Binds the sockets, starts the socket and worker threads and announces <c>starting</c> on iopub.</summary>
    public void Start()
    {
        Console.SetIn(TextReader.Null); // no terminal: code outside cells reads nothing; cells read via input_request
        ConsoleRouter.EnsureInstalled();
        _sockets = new KernelSockets(_connection, OnReceived);
        _sockets.Start();
        var worker = new Thread(ShellLoop) { IsBackground = true, Name = "ecqx-kernel-shell", };
        worker.Start();
        Publish(null, "status", new JsonObject { ["execution_state"] = "starting" });
        WatchParentProcess();
        _log.WriteLine($"ecqx kernel: listening on {_connection.Ip} (shell {_connection.ShellPort}, iopub {_connection.IopubPort}, " +
                       $"stdin {_connection.StdinPort}, control {_connection.ControlPort}, hb {_connection.HeartbeatPort}); " +
                       $"signing {(_signer.Enabled ? "on" : "off (empty key)")}");
    }

    /// <summary>Blocks until a <c>shutdown_request</c> was answered.</summary>
    public void WaitForShutdown() => _stopped.Wait();

    /// <inheritdoc />
    public void Dispose()
    {
        _shellQueue.CompleteAdding();
        _sockets?.Dispose();
        _assistant.Dispose();
    }

    /// <summary>
    /// Jupyter clients name the process that started the kernel in <c>JPY_PARENT_PID</c>; when it is gone (the
    /// client crashed without a shutdown request) the kernel stops too, instead of living on as an orphan.
    /// </summary>
    private void WatchParentProcess()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out int parentId) || parentId <= 1) return;
        System.Diagnostics.Process parent;
        try
        {
            parent = System.Diagnostics.Process.GetProcessById(parentId);
        }
        catch (ArgumentException)
        {
            return;
        }
        var watcher = new Thread(() =>
        {
            parent.WaitForExit();
            _log.WriteLine($"ecqx kernel: the client process {parentId} is gone; shutting down.");
            Interrupt();
            _shellQueue.CompleteAdding();
            _stopped.Set();
        }) { IsBackground = true, Name = "ecqx-kernel-parent-watch" };
        watcher.Start();
    }

    private void OnReceived(KernelChannel channel, List<byte[]> frames)
    {
        JupyterMessage message;
        try
        {
            message = JupyterMessage.Parse(frames, _signer);
        }
        catch (InvalidDataException e)
        {
            _log.WriteLine($"ecqx kernel: dropped a message on {channel.ToString().ToLowerInvariant()}: {e.Message}");
            return;
        }
        // Nothing a client sends may end the socket thread: a malformed request gets an error reply, anything else is logged.
        try
        {
            Dispatch(channel, message);
        }
        catch (InvalidDataException e)
        {
            ReplyMalformed(channel, message, e);
        }
        catch (Exception e)
        {
            _log.WriteLine($"ecqx kernel: error while handling '{message.MessageType}' on {channel.ToString().ToLowerInvariant()}: {e}");
        }
    }

    private void Dispatch(KernelChannel channel, JupyterMessage message)
    {
        switch (channel, message.MessageType)
        {
            case (KernelChannel.Shell or KernelChannel.Control, "interrupt_request"):
                Interrupt();
                Reply(channel, message, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            case (KernelChannel.Shell or KernelChannel.Control, "shutdown_request"):
                Shutdown(channel, message);
                break;
            case (KernelChannel.Control, _):
                Publish(message, "status", new JsonObject { ["execution_state"] = "busy" });
                try
                {
                    if (!HandleRequest(KernelChannel.Control, message))
                        _log.WriteLine($"ecqx kernel: no handler for '{message.MessageType}' on control; ignored.");
                }
                finally
                {
                    Publish(message, "status", new JsonObject { ["execution_state"] = "idle" });
                }
                break;
            case (KernelChannel.Shell, _):
                if (!_shellQueue.IsAddingCompleted) _shellQueue.Add((message, Interlocked.Increment(ref _shellArrivals)));
                break;
            case (KernelChannel.Stdin, "input_reply"):
                KernelInput? input;
                lock (_runningGate) input = _input;
                if (message.Content["value"] is not JsonValue value || !value.TryGetValue(out string? line))
                    _log.WriteLine("ecqx kernel: ignored an input_reply without a string 'value'.");
                else if (input is null || !input.Answer(line))
                    _log.WriteLine("ecqx kernel: ignored an input_reply that no running cell waits for.");
                break;
            default:
                _log.WriteLine($"ecqx kernel: ignored '{message.MessageType}' on {channel.ToString().ToLowerInvariant()}.");
                break;
        }
    }

    private void ShellLoop()
    {
        foreach (var (message, arrival) in _shellQueue.GetConsumingEnumerable())
        {
            // As in IPython: executions that had already arrived when a cell failed are aborted, not run; those sent
            // after the failed cell's reply (a client that saw the error and goes on) run as usual.
            if (message.MessageType == "execute_request" && arrival <= Interlocked.Read(ref _abortArrivalsBefore))
            {
                Publish(message, "status", new JsonObject { ["execution_state"] = "busy" });
                Reply(KernelChannel.Shell, message, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = _executionCount });
                Publish(message, "status", new JsonObject { ["execution_state"] = "idle" });
            }
            else HandleShell(message);
        }
    }

    /// <summary>Handles one shell request between busy and idle.</summary>
    private void HandleShell(JupyterMessage message)
    {
        Publish(message, "status", new JsonObject { ["execution_state"] = "busy" });
        try
        {
            if (message.MessageType == "execute_request") Execute(message);
            else if (!HandleRequest(KernelChannel.Shell, message))
                _log.WriteLine($"ecqx kernel: no handler for '{message.MessageType}' on shell; ignored.");
        }
        catch (InvalidDataException e)
        {
            ReplyMalformed(KernelChannel.Shell, message, e);
        }
        catch (Exception e)
        {
            _log.WriteLine($"ecqx kernel: error while handling '{message.MessageType}': {e}");
        }
        Publish(message, "status", new JsonObject { ["execution_state"] = "idle" });
    }

    /// <summary>
    /// Answers a request whose content has a field of the wrong type (see <see cref="RequestContent"/>) with an
    /// error reply of the matching type, so the client is not left waiting; the request itself is not carried out.
    /// </summary>
    private void ReplyMalformed(KernelChannel channel, JupyterMessage request, InvalidDataException e)
    {
        _log.WriteLine($"ecqx kernel: '{request.MessageType}' on {channel.ToString().ToLowerInvariant()}: {e.Message}");
        if (!request.MessageType.EndsWith("_request", StringComparison.Ordinal)) return;
        Reply(channel, request, request.MessageType[..^"_request".Length] + "_reply", new JsonObject
        {
            ["status"] = "error", ["ename"] = "MalformedRequest", ["evalue"] = e.Message, ["traceback"] = new JsonArray(e.Message),
            ["execution_count"] = _executionCount,
        });
    }

    /// <summary>The requests answered the same way on shell and control; false for an unknown type.</summary>
    private bool HandleRequest(KernelChannel channel, JupyterMessage message)
    {
        JsonObject content = message.Content;
        switch (message.MessageType)
        {
            case "kernel_info_request":
                Reply(channel, message, "kernel_info_reply", KernelInfo());
                return true;
            case "is_complete_request":
                Reply(channel, message, "is_complete_reply", CodeAssistant.IsComplete(RequestContent.Text(content, "code")));
                return true;
            case "complete_request":
                Reply(channel, message, "complete_reply", _assistant.Complete(RequestContent.Text(content, "code"), RequestContent.Integer(content, "cursor_pos", 0)));
                return true;
            case "inspect_request":
                Reply(channel, message, "inspect_reply", _assistant.Inspect(RequestContent.Text(content, "code"), RequestContent.Integer(content, "cursor_pos", 0)));
                return true;
            case "comm_info_request":
                Reply(channel, message, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                return true;
            case "history_request":
                Reply(channel, message, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() });
                return true;
            default:
                return false;
        }
    }

    /// <summary>Runs an execute request; a failure also marks the executions queued behind it for abort.</summary>
    private void Execute(JupyterMessage request)
    {
        JsonObject content = request.Content;
        string code = RequestContent.Text(content, "code");
        bool silent = RequestContent.Flag(content, "silent", false);
        bool storeHistory = !silent && RequestContent.Flag(content, "store_history", true);
        bool allowStdin = RequestContent.Flag(content, "allow_stdin", false);
        bool stopOnError = RequestContent.Flag(content, "stop_on_error", true);
        if (storeHistory) _executionCount++;
        int count = _executionCount;
        if (!silent) Publish(request, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        using var outputs = silent ? null : new IopubOutputs((type, c) => Publish(request, type, c));
        // Console input goes to the client as input_request when it allows stdin; otherwise reading fails with a clear error.
        KernelInput? input = allowStdin
            ? new KernelInput(prompt => Reply(KernelChannel.Stdin, request, "input_request", new JsonObject { ["prompt"] = prompt, ["password"] = false }),
                              () => outputs?.TakePrompt() ?? "")
            : null;
        CellCapture capture = _session.NewCapture(listener: outputs, input: input ?? CellInput.ClientDisallowsStdin);
        using var cancellation = new CancellationTokenSource();
        lock (_runningGate)
        {
            _running = cancellation;
            _input = input;
        }
        CellOutcome outcome;
        try
        {
            outcome = _session.ExecuteAsync(code, $"cell-{count}", capture, cancellation.Token).GetAwaiter().GetResult();
        }
        finally
        {
            lock (_runningGate)
            {
                _running = null;
                _input = null;
            }
        }
        outputs?.Flush();

        if (outcome.Error is { } error)
        {
            var traceback = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
            // Executions already queued behind this one are aborted (unless the request says otherwise); the cut is
            // taken before the reply goes out, so nothing sent in answer to the reply is caught by it.
            if (stopOnError)
                Interlocked.Exchange(ref _abortArrivalsBefore, Interlocked.Read(ref _shellArrivals));
            if (!silent)
                Publish(request, "error", new JsonObject { ["ename"] = error.Name, ["evalue"] = error.Message, ["traceback"] = traceback.DeepClone() });
            Reply(KernelChannel.Shell, request, "execute_reply", new JsonObject
            {
                ["status"] = "error", ["execution_count"] = count, ["ename"] = error.Name, ["evalue"] = error.Message, ["traceback"] = traceback,
            });
            return;
        }
        foreach (string note in outcome.Notes)
            if (!silent) Publish(request, "stream", new JsonObject { ["name"] = "stderr", ["text"] = "note: " + note + "\n" });
        if (outcome.Result is { } result && !silent)
            Publish(request, "execute_result", new JsonObject { ["execution_count"] = count, ["data"] = result.ToMessageJson(), ["metadata"] = new JsonObject() });
        Reply(KernelChannel.Shell, request, "execute_reply", new JsonObject
        {
            ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
        });
    }

    private void Interrupt()
    {
        lock (_runningGate)
        {
            if (_running is { IsCancellationRequested: false } running) _ = running.CancelAsync();
        }
    }

    private void Shutdown(KernelChannel channel, JupyterMessage request)
    {
        bool restart = RequestContent.Flag(request.Content, "restart", false);
        Interrupt();
        Publish(request, "status", new JsonObject { ["execution_state"] = "busy" });
        Reply(channel, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
        Publish(request, "status", new JsonObject { ["execution_state"] = "idle" });
        _shellQueue.CompleteAdding();
        // The client restarts a kernel by starting a new process; this one ends once the reply is out.
        _sockets!.AfterQueuedSends(_stopped.Set);
    }

    private JsonObject KernelInfo()
    {
        string version = typeof(JupyterKernel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
        string language = LanguageVersionFacts.ToDisplayString(LanguageVersionFacts.MapSpecifiedToEffectiveVersion(LanguageVersion.Latest));
        return new JsonObject
        {
            ["status"] = "ok",
            ["protocol_version"] = JupyterMessage.ProtocolVersion,
            ["implementation"] = "ecqx",
            ["implementation_version"] = version,
            ["language_info"] = LanguageInfo(language),
            ["banner"] = $"C# (ECQx) kernel {version}: C# {language} scripting on .NET {Environment.Version}, with ECQx, TorchSharp and Plotly.NET loaded.",
            ["help_links"] = new JsonArray(),
        };
    }

    /// <summary>The <c>language_info</c> of the kernel (also written into notebook metadata).</summary>
    internal static JsonObject LanguageInfo(string version) => new()
    {
        ["name"] = "C#",
        ["version"] = version,
        ["mimetype"] = "text/x-csharp",
        ["file_extension"] = ".cs",
        ["pygments_lexer"] = "csharp",
        ["codemirror_mode"] = "text/x-csharp",
    };

    private void Reply(KernelChannel channel, JupyterMessage request, string type, JsonObject content) =>
        _sockets!.Send(channel, new JupyterMessage
        {
            Identities = request.Identities,
            Header = JupyterMessage.NewHeader(type, _kernelSession),
            ParentHeader = request.Header,
            Content = content,
        }.ToFrames(_signer));

    private void Publish(JupyterMessage? parent, string type, JsonObject content) =>
        _sockets!.Send(KernelChannel.Iopub, new JupyterMessage
        {
            Identities = [Encoding.ASCII.GetBytes("kernel." + _kernelSession + "." + type)],
            Header = JupyterMessage.NewHeader(type, _kernelSession),
            ParentHeader = parent?.Header ?? [],
            Content = content,
        }.ToFrames(_signer));
}
