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
    /// header's (truncated or trailing bytes) raise an <see cref="InvalidDataException"/> naming the file, as does a
    /// damaged gzip stream (<c>… is corrupt (gzip: …)</c>, see <see cref="ECQx.IO.GzipInput"/>). Decompression stops
    /// one byte after the size the header declares, so a small <c>.gz</c> that inflates to gigabytes (a "gzip bomb")
    /// costs no more memory than the data its header promises; the buffer grows with the data actually read.
    /// </summary>
    public static IdxFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[2];
        int n = fs.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        fs.Position = 0;
        if (n == 2 && ECQx.IO.GzipInput.HasMagic(head))
        {
            using var gz = ECQx.IO.GzipInput.OpenRead(fs, path, leaveOpen: true);
            return ReadFrom(gz, path, knownLength: null);
        }
        return ReadFrom(fs, path, fs.Length);
    }

    /// <summary>Parses IDX bytes (already decompressed); <paramref name="path"/> is used in messages.</summary>
    public static IdxFile Parse(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return ReadFrom(new MemoryStream(bytes, writable: false), path, bytes.Length);
    }

    /// <summary>
    /// Reads header and data from <paramref name="input"/>. With <paramref name="knownLength"/> (a raw file) the data
    /// length is checked before anything is allocated; otherwise (a decompressing stream) at most the declared count
    /// plus one byte is read.
    /// </summary>
    private static IdxFile ReadFrom(Stream input, string path, long? knownLength)
    {
        var magic = new byte[4];
        int got = input.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4) throw Bad(path, $"file has {got} bytes, fewer than the 4-byte magic");
        if (magic[0] != 0 || magic[1] != 0)
            throw Bad(path, $"magic starts with {magic[0]:X2} {magic[1]:X2}, expected 00 00 (not an IDX file?)");
        byte type = magic[2];
        int dims = magic[3];
        if (type != UnsignedByte)
            throw Bad(path, $"element type 0x{type:X2} is not supported (only 0x08, unsigned byte)");
        if (dims < 1) throw Bad(path, "has 0 dimensions");
        int headerLen = 4 + 4 * dims;
        var sizes = new byte[4 * dims];
        got = input.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (got < sizes.Length)
            throw Bad(path, $"file has {4 + got} bytes, fewer than the {headerLen}-byte header for {dims} dimensions (truncated?)");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * d));
            if (size <= 0) throw Bad(path, $"dimension {d} has size {size}");
            shape[d] = size;
            count *= size;
            if (count > MaxElements) throw Bad(path, $"header declares more than {MaxElements} elements");
        }
        string declared = $"header [{string.Join(", ", shape)}] needs {count} data bytes";
        if (knownLength is long total)
        {
            long payload = total - headerLen;
            if (payload < count) throw Bad(path, $"{declared} but only {payload} follow (truncated file)");
            if (payload > count) throw Bad(path, $"{declared} but {payload} follow (trailing data)");
        }

        // Grow with the data actually present, never past the declared count.
        var data = new byte[Math.Min(count, 1 << 20)];
        long filled = 0;
        while (filled < count)
        {
            if (filled == data.Length) Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            int read = input.Read(data, (int)filled, data.Length - (int)filled);
            if (read == 0) throw Bad(path, $"{declared} but only {filled} follow (truncated file)");
            filled += read;
        }
        if (input.ReadByte() >= 0)
            throw Bad(path, knownLength is null
                ? $"{declared} but the stream inflates beyond that (trailing data); decompression was stopped there"
                : $"{declared} but more follow (trailing data)");
        return new IdxFile(path, shape, data);
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

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a valid IDX file: {what}.");
}
