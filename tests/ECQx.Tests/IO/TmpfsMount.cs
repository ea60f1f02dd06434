using System.Diagnostics;
using Xunit;

namespace ECQx.Tests.IO;

/// <summary>
/// A small tmpfs mounted on a fresh temporary folder (Linux, root), to make real "disk full" (ENOSPC) and
/// "read-only file system" (EROFS) failures: as root, chmod does not stop writes, a mount does. Unmounted on dispose.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Null when mounting works here, otherwise why the tests that need it are skipped.</summary>
    public static string? UnavailableReason { get; } = Probe();

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/>, read-only when <paramref name="readOnly"/>.</summary>
    public static TmpfsMount Create(long sizeBytes, bool readOnly = false)
    {
        string dir = TestPaths.NewTempDir();
        string opts = $"size={sizeBytes}" + (readOnly ? ",ro" : "");
        var (code, err) = Run("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir);
        if (code != 0) throw new InvalidOperationException($"mount -t tmpfs -o {opts} failed ({code}): {err}");
        return new TmpfsMount(dir);
    }

    /// <summary>Unmounts (lazily, so an open handle cannot keep it) and removes the mount point.</summary>
    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path); } catch (IOException) { }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "tmpfs mounts need Linux";
        if (Environment.UserName != "root") return $"tmpfs mounts need root (running as {Environment.UserName})";
        try
        {
            using var m = Create(64 * 1024);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"cannot mount a tmpfs here: {e.Message}";
        }
    }

    internal static (int Code, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Trim());
    }
}

/// <summary>A fact that needs <see cref="TmpfsMount"/>; reported as skipped with the reason where mounting is not possible.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (TmpfsMount.UnavailableReason is { } reason) Skip = reason + "; the disk-full / read-only check is skipped.";
    }
}

/// <summary>A fact that needs root on Linux (mknod); reported as skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            Skip = $"needs root on Linux to create device nodes (running as {Environment.UserName} on {Environment.OSVersion.Platform}); skipped.";
    }
}
