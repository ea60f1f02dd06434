namespace ECQx.IO;

/// <summary>
/// Atomic file writes: the content goes to a temporary file in the destination's directory, is flushed
/// to disk, and then replaces the destination by a rename. A crash mid-write leaves the old file (or no
/// file), never a truncated one.
/// </summary>
/// <remarks>
/// Only regular files are replaced. A destination that is a directory, a character or block device (such as
/// <c>/dev/null</c>), a named pipe or a socket — directly or behind a symbolic link — is refused with an
/// <see cref="IOException"/> naming the path and its kind, because the rename would replace the node itself (as root,
/// <c>--out /dev/null</c> would otherwise replace the system's <c>/dev/null</c> by a regular file). A symbolic link
/// to a regular file (or to a missing path) is followed: the link stays and its target is replaced. File-system
/// failures (disk full, read-only or unwritable folder, a folder path running through a regular file) are raised
/// as an <see cref="IOException"/> that names the destination rather than the temporary file. Temporary files are
/// named <c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c> (see <see cref="IsTemporaryFor"/>).
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with whatever <paramref name="write"/> puts in the stream.</summary>
    /// <exception cref="IOException">The destination is not a regular file, or the file system refused the write.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Destination(path);
        string dir = Path.GetDirectoryName(full)!;
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (e is UnauthorizedAccessException || e.GetType() == typeof(IOException) || e is DirectoryNotFoundException)
                throw new IOException($"cannot write {full}: {Reason(e, tmp)}", e);
            throw;
        }
    }

    /// <summary>Writes all bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes UTF-8 text (no byte-order mark) atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        byte[] utf8 = new System.Text.UTF8Encoding(false).GetBytes(text);
        Write(path, s => s.Write(utf8));
    }

    /// <summary>True when <paramref name="fileName"/> is the name of a temporary file that a write of
    /// <paramref name="destinationName"/> (a file name, no folder) creates: <c>.&lt;name&gt;.&lt;pid&gt;.&lt;32 hex&gt;.tmp</c>.</summary>
    public static bool IsTemporaryFor(string fileName, string destinationName)
    {
        string prefix = "." + destinationName + ".";
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(".tmp", StringComparison.Ordinal)) return false;
        var middle = fileName[prefix.Length..^4].Split('.');
        return middle.Length == 2 && middle[0].Length > 0 && middle[0].All(char.IsAsciiDigit)
            && middle[1].Length == 32 && middle[1].All(char.IsAsciiHexDigit);
    }

    /// <summary>
    /// Deletes the temporary files that interrupted writes of <paramref name="destinationName"/> left in
    /// <paramref name="directory"/> (a kill -9 mid-write leaves one): only names matching <see cref="IsTemporaryFor"/>, and
    /// only when the process id in the name is not running (a live writer's temporary is left alone).
    /// </summary>
    /// <returns>The deleted paths.</returns>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string directory, string destinationName)
    {
        if (!Directory.Exists(directory)) return [];
        var removed = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory, "." + destinationName + ".*.tmp"))
        {
            string name = Path.GetFileName(file);
            if (!IsTemporaryFor(name, destinationName)) continue;
            string pid = name[(destinationName.Length + 2)..].Split('.')[0];
            if (int.TryParse(pid, out int id) && IsRunning(id)) continue;
            try
            {
                File.Delete(file);
                removed.Add(file);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(processId);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>The path to replace: <paramref name="path"/> itself, or the final target of a symbolic link; anything
    /// that is not a regular file (or missing) is refused.</summary>
    private static string Destination(string path)
    {
        string full = Path.GetFullPath(path);
        var kind = FileKinds.Of(full, followLinks: false);
        if (kind == FileKind.SymbolicLink)
        {
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
            var targetKind = FileKinds.Of(target, followLinks: false);
            if (targetKind is not (FileKind.Missing or FileKind.RegularFile))
                throw new IOException($"cannot write {full}: it is a symbolic link to {target}, which is {targetKind.Describe()}, not a regular file; refusing to replace it");
            return target;
        }
        if (kind is not (FileKind.Missing or FileKind.RegularFile))
            throw new IOException($"cannot write {full}: it is {kind.Describe()}, not a regular file; refusing to replace it");
        return full;
    }

    private static string Reason(Exception e, string tmp) => e.Message.Replace(tmp, Path.GetDirectoryName(tmp), StringComparison.Ordinal);
}
