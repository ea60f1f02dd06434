using System.Runtime.InteropServices;

namespace ECQx.IO;

/// <summary>What a path names in the file system.</summary>
public enum FileKind
{
    /// <summary>Nothing exists at the path.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    RegularFile,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link (only reported when links are not followed).</summary>
    SymbolicLink,
    /// <summary>A character device such as <c>/dev/null</c>.</summary>
    CharacterDevice,
    /// <summary>A block device.</summary>
    BlockDevice,
    /// <summary>A named pipe (FIFO).</summary>
    NamedPipe,
    /// <summary>A Unix domain socket.</summary>
    Socket,
}

/// <summary>
/// Classifies paths by their file type. On Unix it asks the runtime's own native shim (<c>libSystem.Native</c>, the
/// library behind <see cref="File"/>; its <c>FileStatus.Mode</c> carries portable <c>S_IF*</c> type bits), so
/// devices, FIFOs and sockets are told apart from regular files; on Windows every existing non-directory is a
/// regular file.
/// </summary>
public static class FileKinds
{
    private const int TypeMask = 0xF000, Fifo = 0x1000, CharDevice = 0x2000, Dir = 0x4000, BlockDevice = 0x6000,
        Regular = 0x8000, Link = 0xA000, UnixSocket = 0xC000;

    /// <summary>The kind of <paramref name="path"/>; with <paramref name="followLinks"/> a symbolic link reports what it points to.</summary>
    public static FileKind Of(string path, bool followLinks = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
            return System.IO.Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.RegularFile : FileKind.Missing;
        var status = new byte[256]; // FileStatus is ~120 bytes; the first two int32 are Flags and Mode
        int rc = followLinks ? NativeStat(path, status) : NativeLStat(path, status);
        if (rc != 0) return FileKind.Missing;
        int mode = BitConverter.ToInt32(status, 4);
        return (mode & TypeMask) switch
        {
            Regular => FileKind.RegularFile,
            Dir => FileKind.Directory,
            Link => FileKind.SymbolicLink,
            CharDevice => FileKind.CharacterDevice,
            BlockDevice => FileKind.BlockDevice,
            Fifo => FileKind.NamedPipe,
            UnixSocket => FileKind.Socket,
            _ => FileKind.RegularFile,
        };
    }

    /// <summary>A phrase for messages, e.g. "a character device".</summary>
    public static string Describe(this FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.RegularFile => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.NamedPipe => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        _ => kind.ToString(),
    };

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int NativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] output);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat")]
    private static extern int NativeLStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] output);
}
