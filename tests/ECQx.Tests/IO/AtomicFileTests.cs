using ECQx.IO;
using Xunit;

namespace ECQx.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaries()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "result.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("new-but-partial"u8);
            throw new InvalidOperationException("crash mid-write");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void WriteCreatesDirectoriesAndReplacesContent()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "a", "b", "c.bin");
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        AtomicFile.WriteAllBytes(path, new byte[] { 9 });
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
    }

    [RootFact]
    public void ACharacterDeviceIsNeverReplaced()
    {
        string dir = TestPaths.NewTempDir();
        string device = Path.Combine(dir, "null");
        Assert.Equal(0, TmpfsMount.Run("mknod", "-m", "666", device, "c", "1", "3").Code); // a private copy of /dev/null
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(device, "x"));
        Assert.Contains(device, e.Message);
        Assert.Contains("character device", e.Message);
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));
        Assert.Equal(new[] { device }, Directory.GetFiles(dir)); // no temporary left behind
    }

    [Fact]
    public void NamedPipesDirectoriesAndLinksToThemAreRefusedByKind()
    {
        if (OperatingSystem.IsWindows()) return; // no FIFOs or symlink permissions to rely on
        string dir = TestPaths.NewTempDir();
        string fifo = Path.Combine(dir, "pipe");
        Assert.Equal(0, TmpfsMount.Run("mkfifo", fifo).Code);
        string folder = Path.Combine(dir, "folder");
        Directory.CreateDirectory(folder);
        string linkToFifo = Path.Combine(dir, "link-to-pipe");
        File.CreateSymbolicLink(linkToFifo, fifo);

        Assert.Contains("named pipe", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(fifo, "x")).Message);
        Assert.Contains("a directory", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(folder, "x")).Message);
        var viaLink = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(linkToFifo, "x")).Message;
        Assert.Contains("symbolic link", viaLink);
        Assert.Contains("named pipe", viaLink);
        Assert.Equal(FileKind.NamedPipe, FileKinds.Of(fifo));
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(linkToFifo, followLinks: false));
        Assert.Equal(3, Directory.GetFileSystemEntries(dir).Length);
    }

    [Fact]
    public void ALinkToARegularFileIsFollowedAndKept()
    {
        if (OperatingSystem.IsWindows()) return;
        string dir = TestPaths.NewTempDir();
        string target = Path.Combine(dir, "real.txt"), link = Path.Combine(dir, "link.txt");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link, followLinks: false));
        Assert.Equal(FileKind.RegularFile, FileKinds.Of(link));
    }

    [Fact]
    public void AFolderPathThroughARegularFileNamesTheDestination()
    {
        string dir = TestPaths.NewTempDir();
        string file = Path.Combine(dir, "plain");
        File.WriteAllText(file, "x");
        string path = Path.Combine(file, "sub", "out.bin");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, new byte[] { 1 }));
        Assert.StartsWith($"cannot write {path}:", e.Message);
    }

    [TmpfsFact]
    public void DiskFullLeavesTheOldFileAndNoTemporary()
    {
        using var disk = TmpfsMount.Create(64 * 1024);
        string path = Path.Combine(disk.Path, "out.bin");
        AtomicFile.WriteAllBytes(path, new byte[] { 7 });
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, new byte[1 << 20]));
        Assert.StartsWith($"cannot write {path}:", e.Message);
        Assert.Contains("No space left on device", e.Message);
        Assert.Equal(new byte[] { 7 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(disk.Path));
    }

    [TmpfsFact]
    public void AReadOnlyFolderIsReportedWithTheDestination()
    {
        using var disk = TmpfsMount.Create(64 * 1024, readOnly: true);
        string path = Path.Combine(disk.Path, "out.bin");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, new byte[] { 1 }));
        Assert.StartsWith($"cannot write {path}:", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Theory]
    [InlineData(".checkpoint.safetensors.123.0123456789abcdef0123456789abcdef.tmp", "checkpoint.safetensors", true)]
    [InlineData(".checkpoint.safetensors.123.0123456789abcdef0123456789abcdef.tmp", "model.safetensors", false)]
    [InlineData(".checkpoint.safetensors.12x.0123456789abcdef0123456789abcdef.tmp", "checkpoint.safetensors", false)]
    [InlineData(".checkpoint.safetensors.123.0123.tmp", "checkpoint.safetensors", false)]
    [InlineData("checkpoint.safetensors.123.0123456789abcdef0123456789abcdef.tmp", "checkpoint.safetensors", false)]
    public void TemporaryNamesAreRecognisedExactly(string name, string destination, bool expected) =>
        Assert.Equal(expected, AtomicFile.IsTemporaryFor(name, destination));

    [Fact]
    public void TheTemporaryOfARealWriteMatchesItsPattern()
    {
        string dir = TestPaths.NewTempDir();
        string? seen = null;
        AtomicFile.Write(Path.Combine(dir, "a.bin"), s => { seen = Path.GetFileName(((FileStream)s).Name); s.WriteByte(1); });
        Assert.True(AtomicFile.IsTemporaryFor(seen!, "a.bin"), seen);
    }

    [Fact]
    public void StaleTemporariesOfDeadWritersAreRemovedAndNothingElse()
    {
        string dir = TestPaths.NewTempDir();
        string dest = Path.Combine(dir, "checkpoint.safetensors");
        File.WriteAllText(dest, "keep");
        string dead = Path.Combine(dir, $".checkpoint.safetensors.2147483000.{Guid.NewGuid():N}.tmp");
        string live = Path.Combine(dir, $".checkpoint.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string otherFile = Path.Combine(dir, $".metrics.csv.2147483000.{Guid.NewGuid():N}.tmp");
        string lookalike = Path.Combine(dir, ".checkpoint.safetensors.2147483000.not-a-guid.tmp");
        foreach (var f in new[] { dead, live, otherFile, lookalike }) File.WriteAllText(f, "x");

        var removed = AtomicFile.RemoveStaleTemporaries(dir, "checkpoint.safetensors");
        Assert.Equal(new[] { dead }, removed);
        Assert.False(File.Exists(dead));
        Assert.All(new[] { dest, live, otherFile, lookalike }, f => Assert.True(File.Exists(f), f));
        Assert.Empty(AtomicFile.RemoveStaleTemporaries(Path.Combine(dir, "missing"), "checkpoint.safetensors"));
    }
}
