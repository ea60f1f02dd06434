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
/// Messages whose signature does not match the connection key, replays of an accepted message, messages over
/// the size cap and messages with a malformed header are dropped and logged (see <see cref="KernelOptions"/>);
/// nothing a client sends ends the kernel.
/// </summary>
public sealed partial class JupyterKernel : IDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly MessageSigner _signer;
    private readonly KernelOptions _options;
    private readonly SignatureHistory _signatures;
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

    /// <summary>
    /// A kernel for <paramref name="connection"/>; <paramref name="log"/> receives what the kernel itself reports (dropped
    /// messages, errors); <paramref name="options"/> sets its limits (default: <see cref="KernelOptions"/>' defaults).
    /// </summary>
    public JupyterKernel(ConnectionInfo connection, TextWriter log, string? workingDirectory = null, KernelOptions? options = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _options = options ?? new KernelOptions();
        _signatures = new SignatureHistory(_options.SignatureHistory);
        _signer = new MessageSigner(connection.Key);
        _session = new CellSession(workingDirectory ?? Directory.GetCurrentDirectory(), PlotlyJsEmbedding.OncePerNotebook);
        _assistant = new CodeAssistant(_session);
    }

    /// <summary>
    /// Runs a kernel for the connection file until a client asks it to shut down. Returns the process
    /// exit code: 0 after a shutdown, 2 when the file is bad or a port cannot be bound (reported on <paramref name="log"/>).
    /// </summary>
    public static int Run(string connectionFile, TextWriter log, KernelOptions? options = null)
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
        using var kernel = new JupyterKernel(connection, log, options: options);
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
        _sockets = new KernelSockets(_connection, OnReceived, OnRefused, _options.MaxMessageBytes);
        _sockets.Start();
        var worker = new Thread(ShellLoop) { IsBackground = true, Name = "ecqx-kernel-shell", };
        worker.Start();
        PublishStatus(null, "starting");
        WatchParentProcess();
        _log.WriteLine($"ecqx kernel: listening on {_connection.Ip} (shell {_connection.ShellPort}, iopub {_connection.IopubPort}, " +
                       $"stdin {_connection.StdinPort}, control {_connection.ControlPort}, hb {_connection.HeartbeatPort}); " +
                       $"signing {(_signer.Enabled ? "on" : "off (empty key)")}; messages up to {_options.MaxMessageBytes / (1024.0 * 1024):0.##} MiB");
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

    /// <summary>
    /// Every message read on shell, control or stdin, on the socket thread. Nothing here may throw: a message that
    /// is not signed right, is a replay or is malformed is dropped with a log line; an error while handling a
    /// well-formed one is logged (a malformed request gets an error reply).
    /// </summary>
    private void OnReceived(KernelChannel channel, List<byte[]> frames)
    {
        string where = channel.ToString().ToLowerInvariant();
        JupyterMessage message;
        try
        {
            message = JupyterMessage.Parse(frames, _signer);
        }
        catch (Exception e)
        {
            _log.WriteLine($"ecqx kernel: dropped a message on {where}: {(e is InvalidDataException ? e.Message : e.ToString())}");
            if (frames.Sum(f => (long)f.Length) >= LargeMessageBytes) GiveBackMemory();
            return;
        }
        // As jupyter_client's Session: a signature is valid once, so a captured message cannot be sent again.
        if (_signer.Enabled && !_signatures.Add(message.Signature.ToLowerInvariant()))
        {
            _log.WriteLine($"ecqx kernel: dropped a message on {where}: '{message.MessageType}' is a replay (its signature was already used).");
            return;
        }
        string type = message.MessageType;
        try
        {
            Dispatch(channel, message);
        }
        catch (InvalidDataException e)
        {
            try
            {
                ReplyMalformed(channel, message, e);
            }
            catch (Exception inner)
            {
                _log.WriteLine($"ecqx kernel: error while answering a malformed '{type}' on {where}: {inner}");
            }
        }
        catch (Exception e)
        {
            _log.WriteLine($"ecqx kernel: error while handling '{type}' on {where}: {e}");
        }
    }

    /// <summary>A message over the size cap was read and discarded: logged, and its memory given back now rather than at some later collection.</summary>
    private void OnRefused(KernelChannel channel, long bytes)
    {
        _log.WriteLine($"ecqx kernel: dropped a message on {channel.ToString().ToLowerInvariant()}: {bytes} bytes is over the cap of " +
                       $"{_options.MaxMessageBytes} bytes (set {KernelOptions.MaxMessageEnvironmentVariable} or --max-message-mib to allow larger messages).");
        GiveBackMemory();
    }

    /// <summary>A dropped message at least this large is given back to the system at once (see <see cref="GiveBackMemory"/>).</summary>
    private const long LargeMessageBytes = 1L << 20;

    /// <summary>
    /// Collects and compacts the heap, large objects included, and returns the freed memory to the system: a dropped
    /// message of tens of MB would otherwise keep the process that much larger until some later collection.
    /// </summary>
    private static void GiveBackMemory()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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
                PublishStatus(message, "busy");
                try
                {
                    if (!HandleRequest(KernelChannel.Control, message))
                        _log.WriteLine($"ecqx kernel: no handler for '{message.MessageType}' on control; ignored.");
                }
                finally
                {
                    PublishStatus(message, "idle");
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
            try
            {
                if (message.MessageType == "execute_request" && arrival <= Interlocked.Read(ref _abortArrivalsBefore))
                {
                    PublishStatus(message, "busy");
                    Reply(KernelChannel.Shell, message, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = _executionCount });
                    PublishStatus(message, "idle");
                }
                else HandleShell(message);
            }
            catch (Exception e)
            {
                _log.WriteLine($"ecqx kernel: error on the shell worker while handling '{message.MessageType}': {e}");
            }
        }
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
        PublishStatus(request, "busy");
        Reply(channel, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
        PublishStatus(request, "idle");
        _shellQueue.CompleteAdding();
        // The client restarts a kernel by starting a new process; this one ends once the reply is out.
        _sockets!.AfterQueuedSends(_stopped.Set);
    }

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

    /// <summary>Publishes the kernel's <c>status</c> (<c>starting</c>, <c>busy</c> or <c>idle</c>) as a child of <paramref name="parent"/>.</summary>
    private void PublishStatus(JupyterMessage? parent, string executionState) =>
        Publish(parent, "status", new JsonObject { ["execution_state"] = executionState });
}
