using System.IO.Compression;

namespace ECQx.Tests.Fixtures;

/// <summary>Writes IDX (MNIST-format) files and tiny image datasets, independently of the library's writer.</summary>
public static class IdxFixtures
{
    /// <summary>Writes an unsigned-byte IDX file (big-endian sizes), gzip-compressed when <paramref name="gzip"/>.</summary>
    public static void Write(string path, int[] shape, byte[] data, bool gzip, byte typeCode = 0x08)
    {
        using var ms = new MemoryStream();
        ms.Write(new byte[] { 0, 0, typeCode, (byte)shape.Length });
        foreach (int d in shape) ms.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        ms.Write(data);
        var raw = ms.ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!gzip) { File.WriteAllBytes(path, raw); return; }
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(raw);
    }

    /// <summary>
    /// Writes a gzip "bomb": a valid IDX header for <paramref name="shape"/> whose compressed stream carries the declared
    /// data plus <paramref name="extraBytes"/> zero bytes more (streamed, so the fixture itself stays small in memory).
    /// </summary>
    public static void WriteGzipBomb(string path, int[] shape, long extraBytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.SmallestSize);
        gz.Write(new byte[] { 0, 0, 0x08, (byte)shape.Length });
        foreach (int d in shape) gz.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        long total = shape.Aggregate(1L, (a, b) => a * b) + extraBytes;
        var zeros = new byte[1 << 16];
        for (long left = total; left > 0; left -= zeros.Length) gz.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
    }

    /// <summary>The pixel bytes of example <paramref name="index"/> of a synthetic set: a pattern that encodes the
    /// index, row and column so that any layout mistake shows.</summary>
    public static byte Pixel(int index, int row, int col) => (byte)((index * 7 + row * 3 + col * 11) % 256);

    /// <summary>
    /// Writes a synthetic MNIST-style dataset (train-images/labels, t10k-images/labels; 28×28 unless given) into
    /// <paramref name="dir"/>. Label of example i is <c>(i * 3 + offset) % 10</c> (offset 0 train, 1 test).
    /// </summary>
    public static void MakeImageDataset(string dir, int trainCount, int testCount, bool gzip = true, int size = 28)
    {
        foreach (var (prefix, n, offset) in new[] { ("train", trainCount, 0), ("t10k", testCount, 1) })
        {
            var images = new byte[n * size * size];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)((i * 3 + offset) % 10);
                for (int r = 0; r < size; r++)
                for (int c = 0; c < size; c++)
                    images[(i * size + r) * size + c] = Pixel(i, r, c);
            }
            string ext = gzip ? ".gz" : "";
            Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}"), new[] { n, size, size }, images, gzip);
            Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}"), new[] { n }, labels, gzip);
        }
    }
}
