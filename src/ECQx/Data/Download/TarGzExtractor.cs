using System.Formats.Tar;
using System.IO.Compression;
using ECQx.IO;

namespace ECQx.Data.Download;

/// <summary>
/// Unpacks a <c>.tar.gz</c> (System.Formats.Tar over GZipStream) into a directory, treating the archive as
/// untrusted: entry names that are absolute, contain <c>..</c>, or resolve outside the destination are
/// rejected, as are links and device entries; the total unpacked size is bounded. The gzip trailer is checked
/// (CRC-32 and length of the decompressed data, by <see cref="GzipInput"/>), because GZipStream itself ends silently
/// on a truncated file.
/// Any problem raises an <see cref="InvalidDataException"/> that names the archive.
/// </summary>
public static class TarGzExtractor
{
    /// <summary>Default bound on the total unpacked bytes (64 GiB).</summary>
    public const long DefaultMaxBytes = 64L << 30;

    /// <summary>
    /// Extracts <paramref name="archivePath"/> into <paramref name="destination"/> (created if needed). Progress
    /// counts compressed bytes read. On failure the destination may hold partial content: callers extract into a
    /// temporary directory and discard it (see <see cref="DatasetStore"/>).
    /// </summary>
    /// <returns>Number of regular files written.</returns>
    public static int Extract(string archivePath, string destination, IProgress<DataProgress>? progress = null,
        long maxBytes = DefaultMaxBytes, CancellationToken ct = default)
    {
        string root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long compressedLength = file.Length;
        if (compressedLength < 18) throw Bad(archivePath, $"only {compressedLength} bytes, too short for a gzip file (truncated?)");
        using var check = new CountingStream(ECQx.IO.GzipInput.OpenRead(file, archivePath, leaveOpen: true));
        int files = 0;
        long lastReport = 0;
        try
        {
            using (var reader = new TarReader(check, leaveOpen: true))
            {
                TarEntry? entry;
                while ((entry = reader.GetNextEntry()) is not null)
                {
                    ct.ThrowIfCancellationRequested();
                    string target = SafeTarget(archivePath, rootWithSep, entry.Name);
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            Directory.CreateDirectory(target);
                            break;
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            if (target.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar == rootWithSep)
                                throw Bad(archivePath, $"entry '{entry.Name}' is a file at the archive root path");
                            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                            using (var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                            {
                                entry.DataStream?.CopyTo(output);
                            }
                            files++;
                            break;
                        case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                            throw Bad(archivePath, $"entry '{entry.Name}' is a link to '{entry.LinkName}'; links are not allowed in dataset archives");
                        case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes
                            or TarEntryType.LongPath or TarEntryType.LongLink:
                            break;
                        default:
                            throw Bad(archivePath, $"entry '{entry.Name}' has unsupported type {entry.EntryType}");
                    }
                    if (check.BytesRead > maxBytes)
                        throw Bad(archivePath, $"unpacks to more than {maxBytes} bytes");
                    if (progress is not null && file.Position - lastReport >= (4 << 20))
                    {
                        progress.Report(new DataProgress(DataStage.Extracting, archivePath, file.Position, compressedLength));
                        lastReport = file.Position;
                    }
                }
            }
            // Read what follows the tar end-of-archive blocks so the whole gzip member is decompressed.
            var sink = new byte[1 << 16];
            while (check.Read(sink) > 0)
            {
                if (check.BytesRead > maxBytes) throw Bad(archivePath, $"unpacks to more than {maxBytes} bytes");
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or ArgumentException)
        {
            if (e is InvalidDataException && e.Message.StartsWith(archivePath, StringComparison.Ordinal)) throw;
            throw Bad(archivePath, $"corrupt or truncated archive ({e.GetType().Name}: {e.Message})", e);
        }
        progress?.Report(new DataProgress(DataStage.Extracting, archivePath, compressedLength, compressedLength));
        return files;
    }

    /// <summary>Maps a tar entry name to a path under the destination, or throws for unsafe names.</summary>
    internal static string SafeTarget(string archivePath, string rootWithSep, string name)
    {
        string n = name.Replace('\\', '/');
        if (n.Length == 0) throw Bad(archivePath, "an entry has an empty name");
        if (n.StartsWith('/') || (n.Length >= 2 && n[1] == ':') || n.Contains('\0'))
            throw Bad(archivePath, $"entry '{name}' has an absolute path (path traversal)");
        var parts = n.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Any(p => p == ".."))
            throw Bad(archivePath, $"entry '{name}' contains '..' (path traversal)");
        string full = Path.GetFullPath(Path.Combine(rootWithSep, Path.Combine(parts)));
        if (!(full + Path.DirectorySeparatorChar).StartsWith(rootWithSep, StringComparison.Ordinal))
            throw Bad(archivePath, $"entry '{name}' resolves outside the destination (path traversal)");
        return full;
    }

    private static InvalidDataException Bad(string archivePath, string what, Exception? inner = null) =>
        new($"{archivePath}: {what}.", inner);

    /// <summary>Counts the bytes read through it (the unpacked size bound).</summary>
    private sealed class CountingStream(Stream inner) : ReadOnlyPassThroughStream(inner);
}
