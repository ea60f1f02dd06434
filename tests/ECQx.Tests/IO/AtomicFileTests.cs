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
}
