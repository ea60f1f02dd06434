using System.IO.Compression;
using ECQx.Data.Idx;
using ECQx.Tests.Fixtures;
using Xunit;
using ECQx.Tests.Fuzzing;

namespace ECQx.Tests.Data;

/// <summary>IDX files built to hurt: gzip bombs, damaged gzip streams, and seeded random corruption.</summary>
public class IdxHostileInputTests
{
    [Fact]
    public void AGzipBombStopsAtTheDeclaredSizeWithBoundedMemory()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "bomb-idx1-ubyte.gz");
        IdxFixtures.WriteGzipBomb(path, new[] { 10 }, extraBytes: 256L << 20); // 10 declared bytes, 256 MiB more inflate
        Assert.True(new FileInfo(path).Length < 1 << 20, $"the fixture should be small on disk, is {new FileInfo(path).Length:N0} bytes");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(path, e.Message);
        Assert.Contains("header [10] needs 10 data bytes but the stream inflates beyond that", e.Message);
        Assert.True(allocated < 16 << 20, $"reading allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AHugeDeclaredSizeWithLittleDataAllocatesOnlyWhatArrives()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "huge-idx3-ubyte.gz");
        using (var fs = File.Create(path))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            gz.Write(new byte[] { 0, 0, 8, 3, 0, 0, 0x80, 0, 0, 0, 0, 0x7F, 0, 0, 0, 0x20, 1, 2, 3 }); // [32768, 127, 32]: ~133 M elements, 3 present
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("but only 3 follow (truncated file)", e.Message);
        Assert.True(allocated < 16 << 20, $"reading allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AFlippedBitInTheGzipStreamSaysTheFileIsCorrupt()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "t10k-images-idx3-ubyte.gz");
        var data = Enumerable.Range(0, 50 * 28 * 28).Select(i => (byte)(i * 31 % 251)).ToArray();
        IdxFixtures.Write(path, new[] { 50, 28, 28 }, data, gzip: true);
        byte[] good = File.ReadAllBytes(path);
        int seen = 0;
        // flip bits across the deflate body and the trailer; every flip must be caught, and said to be corruption
        for (int at = 10; at < good.Length; at += Math.Max(1, good.Length / 40))
        {
            var bad = (byte[])good.Clone();
            bad[at] ^= 0x10;
            File.WriteAllBytes(path, bad);
            var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
            Assert.DoesNotContain("unsupported compression method", e.Message);
            Assert.Contains(path, e.Message);
            if (e.Message.StartsWith($"{path} is corrupt (gzip: ", StringComparison.Ordinal)) seen++;
        }
        Assert.True(seen > 20, $"only {seen} flips were reported as gzip corruption");

        var method = (byte[])good.Clone();
        method[2] = 7;
        File.WriteAllBytes(path, method);
        Assert.Equal($"{path} is corrupt (gzip: header byte 2 (compression method) is 7, not 8 (deflate)).",
            Assert.Throws<InvalidDataException>(() => IdxFile.Read(path)).Message);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    [InlineData(1)]
    public void AGzipFileMissingItsTrailerOrPartOfItIsRefused(int cut)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "train-labels-idx1-ubyte.gz");
        var data = Enumerable.Range(0, 600).Select(i => (byte)(i % 10)).ToArray();
        IdxFixtures.Write(path, new[] { 600 }, data, gzip: true);
        Assert.Equal(data, IdxFile.Read(path).Data); // the whole file reads
        byte[] good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, good[..^cut]);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith($"{path} is corrupt (gzip: the trailer does not match the 608 inflated bytes", e.Message);
        Assert.Contains("the file is truncated (its 8-byte trailer missing or cut short)", e.Message);
    }

    [Fact]
    public void ThousandsOfCorruptedFilesFailCleanly()
    {
        var random = new Random(1331);
        string dir = TestPaths.NewTempDir();
        var data = Enumerable.Range(0, 20 * 8 * 8).Select(i => (byte)(i * 7)).ToArray();
        string rawPath = Path.Combine(dir, "raw"), gzPath = Path.Combine(dir, "gz");
        IdxFixtures.Write(rawPath, new[] { 20, 8, 8 }, data, gzip: false);
        IdxFixtures.Write(gzPath, new[] { 20, 8, 8 }, data, gzip: true);
        var originals = new[] { File.ReadAllBytes(rawPath), File.ReadAllBytes(gzPath) };
        string path = Path.Combine(dir, "fuzz");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int rejected = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            var kind = SeededCorruption.Draw(random);
            byte[] bytes = SeededCorruption.Apply(originals[trial % 2], kind, random,
                maxRun: kind == Corruption.OverwriteRun ? 4 : 29, within: 16); // overwritten runs hit the header fields
            File.WriteAllBytes(path, bytes);
            try
            {
                var idx = IdxFile.Read(path);
                Assert.Equal(idx.Shape.Aggregate(1L, (a, b) => a * b), idx.Data.Length);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                rejected++;
            }
        }
        Assert.True(rejected > 1000, $"only {rejected} of 2000 corruptions were rejected");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "fuzzing took too long (hang?)");
    }
}
