using ECQx.Data.Download;
using ECQx.Tests.Fixtures;
using Xunit;

namespace ECQx.Tests.Data;

public class TarGzExtractorTests
{
    private static string WriteArchive(byte[] bytes)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "a.tar.gz");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ExtractsFilesAndDirectoriesByteForByte()
    {
        var entries = new (string, byte[]?)[]
        {
            ("./top/", null),
            ("./top/a.bin", Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray()),
            ("./top/sub/b.txt", "hello"u8.ToArray()),
            ("./empty.txt", Array.Empty<byte>()),
        };
        string archive = WriteArchive(TarGzFixtures.Pack(entries));
        string dest = TestPaths.NewTempDir();

        int files = TarGzExtractor.Extract(archive, dest);

        Assert.Equal(3, files);
        Assert.Equal(entries[1].Item2, File.ReadAllBytes(Path.Combine(dest, "top", "a.bin")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dest, "top", "sub", "b.txt")));
        Assert.Equal(0, new FileInfo(Path.Combine(dest, "empty.txt")).Length);
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("ok/../../evil.txt")]
    [InlineData("/tmp/evil-absolute.txt")]
    [InlineData("..")]
    public void PathTraversalIsRejectedAndNothingIsWrittenOutside(string name)
    {
        string parent = TestPaths.NewTempDir();
        string dest = Path.Combine(parent, "dest");
        string archive = WriteArchive(TarGzFixtures.Pack(new (string, byte[]?)[] { ("fine.txt", "x"u8.ToArray()), (name, "pwned"u8.ToArray()) }));

        var e = Assert.Throws<InvalidDataException>(() => TarGzExtractor.Extract(archive, dest));

        Assert.Contains(archive, e.Message);
        Assert.Contains("traversal", e.Message);
        Assert.False(File.Exists(Path.Combine(parent, "evil.txt")));
        Assert.False(File.Exists("/tmp/evil-absolute.txt"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LinksAreRejected(bool hard)
    {
        string archive = WriteArchive(TarGzFixtures.Pack(new (string, byte[]?)[] { ("a.txt", "a"u8.ToArray()) },
            new[] { ("link", "/etc/passwd", hard) }));
        var e = Assert.Throws<InvalidDataException>(() => TarGzExtractor.Extract(archive, TestPaths.NewTempDir()));
        Assert.Contains("link", e.Message);
    }

    [Fact]
    public void FlippedByteInsideTheCompressedStreamIsReported()
    {
        byte[] good = TarGzFixtures.Pack(new (string, byte[]?)[] { ("a.bin", Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray()) });
        var bad = (byte[])good.Clone();
        bad[bad.Length / 2] ^= 0xFF;
        string archive = WriteArchive(bad);
        var e = Assert.Throws<InvalidDataException>(() => TarGzExtractor.Extract(archive, TestPaths.NewTempDir()));
        Assert.StartsWith(archive, e.Message);
    }

    [Fact]
    public void TruncationAnywhereIsReported()
    {
        byte[] good = TarGzFixtures.Pack(new (string, byte[]?)[] { ("a.bin", Enumerable.Range(0, 20_000).Select(i => (byte)(i * 13)).ToArray()), ("b.txt", "b"u8.ToArray()) });
        foreach (int cut in new[] { good.Length - 1, good.Length - 8, good.Length - 30, good.Length / 2, 20, 5 })
        {
            string archive = WriteArchive(good[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => TarGzExtractor.Extract(archive, TestPaths.NewTempDir()));
            Assert.StartsWith(archive, e.Message);
        }
    }

    [Fact]
    public void UnpackedSizeIsBounded()
    {
        string archive = WriteArchive(TarGzFixtures.Pack(new (string, byte[]?)[] { ("big.bin", new byte[200_000]) }));
        var e = Assert.Throws<InvalidDataException>(() => TarGzExtractor.Extract(archive, TestPaths.NewTempDir(), maxBytes: 100_000));
        Assert.Contains("100000", e.Message);
    }
}
