using System.Net;
using System.Net.Http.Headers;

namespace ECQx.Data.Download;

/// <summary>
/// Downloads one URL to a file, resumably: bytes go to <c>&lt;destination&gt;.part</c>; an interrupted attempt
/// (dropped connection, stall, short body) is retried with <c>Range: bytes=&lt;have&gt;-</c> and the response is
/// appended when the server answers 206 with a matching <c>Content-Range</c> (a 200 answer restarts the file).
/// Only a complete body (length equal to the announced total, when announced) is renamed to the destination.
/// A <c>.part</c> left by an earlier process is resumed the same way. No checksum logic here: see
/// <see cref="DatasetStore"/>.
/// </summary>
public sealed class ResumableDownloader : IDisposable
{
    private readonly HttpClient _client;
    private readonly DownloadOptions _options;

    /// <summary>Creates a downloader; <paramref name="handler"/> replaces the default socket handler (tests).</summary>
    public ResumableDownloader(HttpMessageHandler? handler = null, DownloadOptions? options = null)
    {
        _options = options ?? new DownloadOptions();
        _options.Validate();
        handler ??= new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.RequestTimeout,
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("ECQx.Research/1.0");
    }

    /// <summary>The partial-file path used for <paramref name="destination"/>.</summary>
    public static string PartPath(string destination) => destination + ".part";

    /// <summary>Downloads <paramref name="url"/> to <paramref name="destination"/> (see the class remarks).</summary>
    /// <exception cref="HttpRequestException">The server refused the request (4xx other than 408/416/429).</exception>
    /// <exception cref="IOException">All attempts failed; the message names the URL and the kept partial file.</exception>
    public async Task<DownloadResult> DownloadAsync(Uri url, string destination, IProgress<DataProgress>? progress = null, CancellationToken ct = default)
    {
        string part = PartPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var resumed = new List<long>();
        Exception? last = null;
        for (int attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            if (attempt > 1 && _options.RetryDelay > TimeSpan.Zero)
                await Task.Delay(_options.RetryDelay * (attempt - 1), ct).ConfigureAwait(false);
            try
            {
                long? bytes = await AttemptAsync(url, part, resumed, progress, ct).ConfigureAwait(false);
                if (bytes is { } n)
                {
                    File.Move(part, destination, overwrite: true);
                    progress?.Report(new DataProgress(DataStage.Done, url.ToString(), n, n));
                    return new DownloadResult(destination, n, attempt, resumed);
                }
                last = new IOException("the server answered 416 (range not satisfiable) to a resume request; restarting from byte 0");
            }
            catch (HttpRequestException e) when (IsPermanent(e))
            {
                throw new HttpRequestException($"Downloading {url} failed: HTTP {(int?)e.StatusCode} {e.StatusCode}. {e.Message}", e, e.StatusCode);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                last = e is OperationCanceledException ? new TimeoutException("no data within the timeout", e) : e;
            }
        }
        throw new IOException(
            $"Downloading {url} failed after {_options.MaxAttempts} attempts: {last?.Message} " +
            (File.Exists(part) ? $"The partial file {part} ({new FileInfo(part).Length} bytes) is kept; run again to resume." : ""), last);
    }

    /// <summary>One request. Returns the final size on success, null when the part file had to be discarded (416).</summary>
    private async Task<long?> AttemptAsync(Uri url, string part, List<long> resumed, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);

        using var headerCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headerCts.CancelAfter(_options.RequestTimeout);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headerCts.Token).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            File.Delete(part);
            return null;
        }
        response.EnsureSuccessStatusCode();

        long? total;
        FileMode mode;
        var range = response.Content.Headers.ContentRange;
        if (response.StatusCode == HttpStatusCode.PartialContent && have > 0 && range is { HasRange: true } && range.From == have)
        {
            total = range.Length;
            mode = FileMode.Append;
            resumed.Add(have);
        }
        else if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            throw new IOException($"the server sent a partial response for an unexpected range ({range}); expected bytes {have}-");
        }
        else
        {
            have = 0;
            total = response.Content.Headers.ContentLength;
            mode = FileMode.Create;
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var file = new FileStream(part, mode, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long done = have, lastReport = -1;
        while (true)
        {
            int n;
            using (var stallCts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                stallCts.CancelAfter(_options.StallTimeout);
                n = await body.ReadAsync(buffer, stallCts.Token).ConfigureAwait(false);
            }
            if (n == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            done += n;
            if (progress is not null && (done - lastReport >= (1 << 20) || done == total))
            {
                progress.Report(new DataProgress(DataStage.Downloading, url.ToString(), done, total));
                lastReport = done;
            }
        }
        await file.FlushAsync(ct).ConfigureAwait(false);
        if (total is { } t && done != t)
            throw new IOException($"the connection ended after {done} of {t} bytes");
        return done;
    }

    private static bool IsPermanent(HttpRequestException e) =>
        e.StatusCode is { } s && (int)s >= 400 && (int)s < 500
        && s is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests and not HttpStatusCode.RequestedRangeNotSatisfiable;

    /// <summary>Disposes the HTTP client.</summary>
    public void Dispose() => _client.Dispose();
}
