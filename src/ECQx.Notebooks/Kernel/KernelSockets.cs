using NetMQ;
using NetMQ.Sockets;

namespace ECQx.Notebooks.Kernel;

/// <summary>The kernel's four message channels (the heartbeat only echoes, so it has none).</summary>
internal enum KernelChannel
{
    /// <summary>Requests and replies (ROUTER).</summary>
    Shell,

    /// <summary>Interrupt, shutdown and other out-of-band requests (ROUTER).</summary>
    Control,

    /// <summary>Input requests to the client (ROUTER).</summary>
    Stdin,

    /// <summary>Broadcast of status and outputs (PUB).</summary>
    Iopub,
}

/// <summary>
/// The ZeroMQ side of the kernel: binds shell, control and stdin (ROUTER), iopub (PUB) and the heartbeat
/// (REP, echoes every message) on exactly the connection file's endpoints, and runs one poller thread
/// that owns all sockets. Received messages are handed to the constructor's callback on that thread; any
/// thread may <see cref="Send"/>, which queues the frames for the poller (sent in queue order).
/// </summary>
internal sealed class KernelSockets : IDisposable
{
    private readonly RouterSocket _shell = new();
    private readonly RouterSocket _control = new();
    private readonly RouterSocket _stdin = new();
    private readonly PublisherSocket _iopub = new();
    private readonly ResponseSocket _heartbeat = new();
    private readonly NetMQQueue<Action> _work = new();
    private readonly NetMQPoller _poller;

    /// <summary>Binds every socket; throws <see cref="IOException"/> naming the endpoint and the connection file field when one cannot be bound.</summary>
    internal KernelSockets(ConnectionInfo connection, Action<KernelChannel, List<byte[]>> received)
    {
        foreach (NetMQSocket socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat })
            socket.Options.Linger = TimeSpan.FromSeconds(1);
        Bind(_shell, connection.Endpoint(connection.ShellPort), "shell_port");
        Bind(_control, connection.Endpoint(connection.ControlPort), "control_port");
        Bind(_stdin, connection.Endpoint(connection.StdinPort), "stdin_port");
        Bind(_iopub, connection.Endpoint(connection.IopubPort), "iopub_port");
        Bind(_heartbeat, connection.Endpoint(connection.HeartbeatPort), "hb_port");

        _shell.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Shell, received);
        _control.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Control, received);
        _stdin.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Stdin, received);
        _heartbeat.ReceiveReady += (_, e) =>
        {
            NetMQMessage? ping = new();
            while (e.Socket.TryReceiveMultipartMessage(ref ping)) e.Socket.SendMultipartMessage(ping!);
        };
        _work.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out Action? action, TimeSpan.Zero)) action();
        };
        _poller = [_shell, _control, _stdin, _heartbeat, _work];
    }

    /// <summary>Starts the poller thread.</summary>
    internal void Start() => _poller.RunAsync("ecqx-kernel-sockets");

    /// <summary>Queues <paramref name="frames"/> for sending on <paramref name="channel"/> (for ROUTER channels the first frames are the peer's identities).</summary>
    internal void Send(KernelChannel channel, List<byte[]> frames)
    {
        NetMQSocket socket = channel switch
        {
            KernelChannel.Shell => _shell,
            KernelChannel.Control => _control,
            KernelChannel.Stdin => _stdin,
            _ => _iopub,
        };
        var message = new NetMQMessage(frames.Count);
        foreach (byte[] frame in frames) message.Append(frame);
        _work.Enqueue(() => socket.TrySendMultipartMessage(message));
    }

    /// <summary>Runs <paramref name="action"/> on the poller thread after everything queued before it was sent.</summary>
    internal void AfterQueuedSends(Action action) => _work.Enqueue(action);

    public void Dispose()
    {
        if (_poller.IsRunning) _poller.Stop();
        _poller.Dispose();
        _work.Dispose();
        foreach (NetMQSocket socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat }) socket.Dispose();
        NetMQConfig.Cleanup(block: false);
    }

    private static void Bind(NetMQSocket socket, string endpoint, string field)
    {
        try
        {
            socket.Bind(endpoint);
        }
        catch (Exception e) when (e is NetMQException or System.Net.Sockets.SocketException or ArgumentException)
        {
            throw new IOException($"cannot bind {endpoint} (connection file field '{field}'): {e.Message}", e);
        }
    }

    private static void Drain(NetMQSocket socket, KernelChannel channel, Action<KernelChannel, List<byte[]>> received)
    {
        NetMQMessage? message = new();
        while (socket.TryReceiveMultipartMessage(ref message))
        {
            received(channel, message!.Select(f => f.ToByteArray()).ToList());
            message = new NetMQMessage();
        }
    }
}
