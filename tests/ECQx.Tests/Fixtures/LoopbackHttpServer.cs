using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ECQx.Tests.Fixtures;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 (a free port) for download tests. Each path serves fixed bytes with a
/// behaviour: normal (honours <c>Range: bytes=N-</c> with 206), ignore-range (always 200), drop-first (the first
/// request sends the headers for the full body, half of it, then aborts the connection), stall (headers, a few
/// bytes, then waits until the test ends), or a fixed status code. Requests and their Range headers are recorded.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    /// <summary>How a path responds.</summary>
    public enum Behaviour
    {
        /// <summary>200, or 206 for a satisfiable Range.</summary>
        Normal,
        /// <summary>Always 200 with the full body.</summary>
        IgnoreRange,
        /// <summary>First request: full headers, half the body, connection aborted. Later: like Normal.</summary>
        DropFirst,
        /// <summary>Headers and 100 bytes, then no more data until disposal.</summary>
        Stall,
        /// <summary>404 Not Found.</summary>
        NotFound,
    }

    private readonly HttpListener _listener;
    private readonly ConcurrentDictionary<string, (byte[] body, Behaviour behaviour)> _routes = new();
    private readonly ConcurrentDictionary<string, int> _hits = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts listening on a free loopback port.</summary>
    public LoopbackHttpServer()
    {
        HttpListener? listener = null;
        for (int attempt = 0; attempt < 10 && listener is null; attempt++)
        {
            int port = FreePort();
            var l = new HttpListener();
            l.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                l.Start();
                listener = l;
                BaseUri = new Uri($"http://127.0.0.1:{port}/");
            }
            catch (HttpListenerException)
            {
                l.Close();
            }
        }
        _listener = listener ?? throw new InvalidOperationException("could not start a loopback HTTP listener");
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Every request as (path, Range header or null), in arrival order.</summary>
    public ConcurrentQueue<(string path, string? range)> Requests { get; } = new();

    /// <summary>Serves <paramref name="body"/> at <paramref name="path"/>; returns its absolute URL.</summary>
    public Uri Serve(string path, byte[] body, Behaviour behaviour = Behaviour.Normal)
    {
        string p = "/" + path.TrimStart('/');
        _routes[p] = (body, behaviour);
        return new Uri(BaseUri, p);
    }

    /// <summary>Number of requests made for <paramref name="path"/>.</summary>
    public int Hits(string path) => _hits.TryGetValue("/" + path.TrimStart('/'), out int n) ? n : 0;

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        string? range = ctx.Request.Headers["Range"];
        Requests.Enqueue((path, range));
        int hit = _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        var res = ctx.Response;
        try
        {
            if (!_routes.TryGetValue(path, out var route) || route.behaviour == Behaviour.NotFound)
            {
                res.StatusCode = 404;
                res.Close();
                return;
            }
            var (body, behaviour) = route;
            long from = 0;
            bool honourRange = behaviour is Behaviour.Normal or Behaviour.DropFirst;
            if (honourRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            {
                from = long.Parse(range["bytes=".Length..^1]);
                if (from >= body.Length)
                {
                    res.StatusCode = 416;
                    res.AddHeader("Content-Range", $"bytes */{body.Length}");
                    res.Close();
                    return;
                }
                res.StatusCode = 206;
                res.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
            }
            res.AddHeader("Accept-Ranges", honourRange ? "bytes" : "none");
            res.ContentType = "application/gzip";
            res.ContentLength64 = body.Length - from;
            var output = res.OutputStream;
            if (behaviour == Behaviour.DropFirst && hit == 1)
            {
                int half = body.Length / 2;
                await output.WriteAsync(body.AsMemory(0, half)).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
                await Task.Delay(50).ConfigureAwait(false);
                res.Abort();
                return;
            }
            if (behaviour == Behaviour.Stall)
            {
                await output.WriteAsync(body.AsMemory(0, Math.Min(100, body.Length))).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
                try { await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
                res.Abort();
                return;
            }
            await output.WriteAsync(body.AsMemory((int)from)).ConfigureAwait(false);
            res.Close();
        }
        catch (Exception)
        {
            try { res.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Stops the server.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
