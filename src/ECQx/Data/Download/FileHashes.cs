using System.Security.Cryptography;

namespace ECQx.Data.Download;

/// <summary>SHA-256 and MD5 of a file in one pass (lower-case hex).</summary>
/// <param name="Sha256">SHA-256.</param>
/// <param name="Md5">MD5.</param>
public sealed record FileHashes(string Sha256, string Md5)
{
    /// <summary>Hashes <paramref name="path"/>, reporting progress as <see cref="DataStage.Verifying"/>.</summary>
    public static FileHashes Compute(string path, IProgress<DataProgress>? progress = null, CancellationToken ct = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long total = fs.Length, done = 0, lastReport = 0;
        var buffer = new byte[1 << 20];
        int n;
        while ((n = fs.Read(buffer)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            sha.AppendData(buffer, 0, n);
            md5.AppendData(buffer, 0, n);
            done += n;
            if (progress is not null && (done - lastReport >= (8 << 20) || done == total))
            {
                progress.Report(new DataProgress(DataStage.Verifying, path, done, total));
                lastReport = done;
            }
        }
        return new FileHashes(Convert.ToHexStringLower(sha.GetHashAndReset()), Convert.ToHexStringLower(md5.GetHashAndReset()));
    }
}
