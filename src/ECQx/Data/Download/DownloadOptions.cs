namespace ECQx.Data.Download;

/// <summary>Timeouts and retries of <see cref="ResumableDownloader"/>. Every wait is bounded.</summary>
public sealed record DownloadOptions
{
    /// <summary>Longest wait for the response headers of one request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for the next chunk of the body before the attempt counts as stalled.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per file (each later attempt resumes with an HTTP Range request).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Pause before retry <c>k</c> is <c>k · RetryDelay</c>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws an <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentException($"MaxAttempts must be at least 1, got {MaxAttempts}.");
        if (RequestTimeout <= TimeSpan.Zero || StallTimeout <= TimeSpan.Zero)
            throw new ArgumentException("RequestTimeout and StallTimeout must be positive.");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentException("RetryDelay must not be negative.");
    }
}

/// <summary>Outcome of a download.</summary>
/// <param name="Path">The completed file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Attempts">Requests made (1 when nothing went wrong).</param>
/// <param name="ResumedFrom">Byte offsets at which an attempt resumed with a Range request (empty when none did).</param>
public sealed record DownloadResult(string Path, long Bytes, int Attempts, IReadOnlyList<long> ResumedFrom);
