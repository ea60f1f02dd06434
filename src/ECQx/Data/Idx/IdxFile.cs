using System.Buffers.Binary;
using System.IO.Compression;

namespace ECQx.Data.Idx;

/// <summary>
/// An IDX file (the MNIST / Fashion-MNIST format, http://yann.lecun.com/exdb/mnist/): magic
/// <c>00 00 TT DD</c> (TT = element type, DD = number of dimensions), DD big-endian int32 sizes, then the
/// elements in row-major order. Only unsigned-byte elements (TT = 0x08) are supported, which covers images
/// (<c>idx3-ubyte</c>) and labels (<c>idx1-ubyte</c>).
/// </summary>
/// <param name="Path">The file it was read from (for messages).</param>
/// <param name="Shape">The dimension sizes.</param>
/// <param name="Data">The elements, row-major.</param>
public sealed record IdxFile(string Path, int[] Shape, byte[] Data)
{
    /// <summary>IDX element-type code for unsigned bytes.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Largest accepted element count (2^31 − 1).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>
    /// Reads an IDX file, gzip-compressed or raw (detected from the gzip magic bytes, not the file name).
    /// A wrong magic, an unsupported element type, non-positive sizes, or a data length that differs from the
    /// header's (truncated or trailing bytes) raise an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static IdxFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] bytes;
        try
        {
            bytes = ReadMaybeGzip(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses IDX bytes (already decompressed); <paramref name="path"/> is used in messages.</summary>
    public static IdxFile Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 4) throw Bad(path, $"file has {bytes.Length} bytes, fewer than the 4-byte magic");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(path, $"magic starts with {bytes[0]:X2} {bytes[1]:X2}, expected 00 00 (not an IDX file?)");
        byte type = bytes[2];
        int dims = bytes[3];
        if (type != UnsignedByte)
            throw Bad(path, $"element type 0x{type:X2} is not supported (only 0x08, unsigned byte)");
        if (dims < 1) throw Bad(path, "has 0 dimensions");
        int headerLen = 4 + 4 * dims;
        if (bytes.Length < headerLen) throw Bad(path, $"file has {bytes.Length} bytes, fewer than the {headerLen}-byte header for {dims} dimensions (truncated?)");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size <= 0) throw Bad(path, $"dimension {d} has size {size}");
            shape[d] = size;
            count *= size;
            if (count > MaxElements) throw Bad(path, $"header declares more than {MaxElements} elements");
        }
        long payload = bytes.Length - headerLen;
        if (payload < count) throw Bad(path, $"header [{string.Join(", ", shape)}] needs {count} data bytes but only {payload} follow (truncated file)");
        if (payload > count) throw Bad(path, $"header [{string.Join(", ", shape)}] needs {count} data bytes but {payload} follow (trailing data)");
        return new IdxFile(path, shape, bytes.AsSpan(headerLen).ToArray());
    }

    /// <summary>Writes IDX unsigned-byte data, gzip-compressed when <paramref name="gzip"/> is true. Atomic.</summary>
    public static void Write(string path, int[] shape, ReadOnlySpan<byte> data, bool gzip)
    {
        long count = 1;
        foreach (int s in shape)
        {
            if (s <= 0) throw new ArgumentException($"IDX dimension sizes must be positive, got [{string.Join(", ", shape)}].");
            count *= s;
        }
        if (shape.Length is < 1 or > 255) throw new ArgumentException($"IDX supports 1–255 dimensions, got {shape.Length}.");
        if (count != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape)}] has {count} elements but {data.Length} bytes were given.");
        var raw = new byte[4 + 4 * shape.Length + data.Length];
        raw[2] = UnsignedByte;
        raw[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4 + 4 * d), shape[d]);
        data.CopyTo(raw.AsSpan(4 + 4 * shape.Length));
        ECQx.IO.AtomicFile.Write(path, s =>
        {
            if (!gzip) { s.Write(raw); return; }
            using var gz = new GZipStream(s, CompressionLevel.SmallestSize, leaveOpen: true);
            gz.Write(raw);
        });
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int n = fs.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        fs.Position = 0;
        using var ms = new MemoryStream();
        if (n == 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            gz.CopyTo(ms);
        }
        else
        {
            fs.CopyTo(ms);
        }
        return ms.ToArray();
    }

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a valid IDX file: {what}.");
}
