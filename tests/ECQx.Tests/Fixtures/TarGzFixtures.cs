using System.Formats.Tar;
using System.IO.Compression;

namespace ECQx.Tests.Fixtures;

/// <summary>Builds .tar.gz archives for tests, including hostile ones.</summary>
public static class TarGzFixtures
{
    /// <summary>Packs every file and directory under <paramref name="sourceDir"/> (entries prefixed with
    /// <paramref name="prefix"/>, e.g. "./") into a gzip-compressed tar. Returns the archive bytes.</summary>
    public static byte[] PackDirectory(string sourceDir, string prefix = "")
    {
        var entries = new List<(string name, byte[]? data)>();
        foreach (var d in Directory.EnumerateDirectories(sourceDir, "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
            entries.Add((prefix + Rel(sourceDir, d) + "/", null));
        foreach (var f in Directory.EnumerateFiles(sourceDir, "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
            entries.Add((prefix + Rel(sourceDir, f), File.ReadAllBytes(f)));
        return Pack(entries);
    }

    /// <summary>Packs explicit entries: a null body makes a directory entry.</summary>
    public static byte[] Pack(IEnumerable<(string name, byte[]? data)> entries, IEnumerable<(string name, string target, bool hard)>? links = null)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tw = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                var e = data is null
                    ? new PaxTarEntry(TarEntryType.Directory, name)
                    : new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };
                tw.WriteEntry(e);
            }
            foreach (var (name, target, hard) in links ?? Array.Empty<(string, string, bool)>())
                tw.WriteEntry(new PaxTarEntry(hard ? TarEntryType.HardLink : TarEntryType.SymbolicLink, name) { LinkName = target });
        }
        return ms.ToArray();
    }

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
