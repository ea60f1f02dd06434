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
/// thread may <see cref="Send"/>, which queues the frames for the poller (sent in queue order). Messages over
/// the size cap are never held in memory whole: ZeroMQ disconnects a peer whose single frame is over it, and a
/// message whose frames add up to more is read frame by frame and discarded (handed to the refusal callback).
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
    private readonly long _maxMessageBytes;

    /// <summary>Binds every socket; throws <see cref="IOException"/> naming the endpoint and the connection file field when one cannot be bound.</summary>
    /// <param name="connection">The endpoints.</param>
    /// <param name="received">Called on the poller thread with each message read.</param>
    /// <param name="refused">Called on the poller thread when a message over <paramref name="maxMessageBytes"/> was discarded (with its size so far).</param>
    /// <param name="maxMessageBytes">The size cap of one message, all frames together.</param>
    internal KernelSockets(ConnectionInfo connection, Action<KernelChannel, List<byte[]>> received, Action<KernelChannel, long> refused, long maxMessageBytes)
    {
        _maxMessageBytes = maxMessageBytes;
        foreach (NetMQSocket socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat })
        {
            socket.Options.Linger = TimeSpan.FromSeconds(1);
            socket.Options.MaxMsgSize = maxMessageBytes; // per frame, checked by ZeroMQ before the frame is buffered
        }
        Bind(_shell, connection.Endpoint(connection.ShellPort), "shell_port");
        Bind(_control, connection.Endpoint(connection.ControlPort), "control_port");
        Bind(_stdin, connection.Endpoint(connection.StdinPort), "stdin_port");
        Bind(_iopub, connection.Endpoint(connection.IopubPort), "iopub_port");
        Bind(_heartbeat, connection.Endpoint(connection.HeartbeatPort), "hb_port");

        _shell.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Shell, received, refused);
        _control.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Control, received, refused);
        _stdin.ReceiveReady += (_, e) => Drain(e.Socket, KernelChannel.Stdin, received, refused);
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

    /// <summary>Reads every waiting message frame by frame; one whose frames add up to more than the cap is read to its end and dropped.</summary>
    private void Drain(NetMQSocket socket, KernelChannel channel, Action<KernelChannel, List<byte[]>> received, Action<KernelChannel, long> refused)
    {
        while (socket.TryReceiveFrameBytes(TimeSpan.Zero, out byte[]? first, out bool more))
        {
            var frames = new List<byte[]> { first! };
            long total = first!.LongLength;
            bool over = total > _maxMessageBytes;
            while (more)
            {
                // The rest of a multipart message is already here (ZeroMQ delivers messages whole).
                byte[] frame = socket.ReceiveFrameBytes(out more);
                total += frame.LongLength;
                if (total > _maxMessageBytes) over = true;
                if (over) frames.Clear();
                else frames.Add(frame);
            }
            if (over) refused(channel, total);
            else received(channel, frames);
        }
    }
}
