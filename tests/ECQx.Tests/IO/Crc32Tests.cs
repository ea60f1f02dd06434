using System.IO.Compression;
using System.Text;
using ECQx.IO;
using FsCheck.Xunit;
using Xunit;

namespace ECQx.Tests.IO;

public class Crc32Tests
{
    [Fact]
    public void StandardCheckValues()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
        Assert.Equal(0x414FA339u, Crc32.Compute(Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog")));
    }

    [Property(MaxTest = 200)]
    public bool AppendIsConcatenation(byte[] a, byte[] b) =>
        Crc32.Append(Crc32.Compute(a), b) == Crc32.Compute([.. a, .. b]);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1000)]
    [InlineData(65_537)]
    public void AgreesWithTheGzipTrailer(int length)
    {
        // GZip (RFC 1952) stores the CRC-32 of the uncompressed data in its trailer: an independent implementation.
        var data = new byte[length];
        new Random(length).NextBytes(data);
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        byte[] gz = output.ToArray();
        uint trailer = BitConverter.ToUInt32(gz, gz.Length - 8);
        Assert.Equal(trailer, Crc32.Compute(data));
    }
}
