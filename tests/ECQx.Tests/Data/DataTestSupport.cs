using ECQx.Data.Download;

namespace ECQx.Tests.Data;

/// <summary>Helpers shared by the data tests.</summary>
internal static class DataTestSupport
{
    /// <summary>A manifest with one dataset served from <paramref name="url"/>.</summary>
    public static DatasetManifest Manifest(string name, Uri url, string fileName, string? sha256 = null, string? md5 = null,
        string dataSubdirectory = "", params string[] required) =>
        new()
        {
            Datasets = new[]
            {
                new DatasetEntry
                {
                    Name = name,
                    Title = "fixture " + name,
                    Archive = new ArchiveInfo { Url = url.ToString(), FileName = fileName, Sha256 = sha256, Md5 = md5 },
                    DataSubdirectory = dataSubdirectory,
                    RequiredPaths = required,
                },
            },
        };

    /// <summary>Fast, bounded download settings for loopback tests.</summary>
    public static DownloadOptions FastDownloads(int attempts = 3) => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(10),
        StallTimeout = TimeSpan.FromSeconds(10),
        MaxAttempts = attempts,
        RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Hex SHA-256 and MD5 of bytes.</summary>
    public static (string sha256, string md5) Hashes(byte[] bytes) =>
        (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
         Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes)));

    /// <summary>Collects progress reports synchronously (Progress&lt;T&gt; would post them asynchronously).</summary>
    public sealed class ProgressLog : IProgress<DataProgress>
    {
        private readonly object _gate = new();

        /// <summary>All reports in order.</summary>
        public List<DataProgress> Reports { get; } = new();

        /// <inheritdoc />
        public void Report(DataProgress value)
        {
            lock (_gate) Reports.Add(value);
        }
    }
}
