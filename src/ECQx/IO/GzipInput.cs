using System.IO.Compression;

namespace ECQx.IO;

/// <summary>
/// Reading gzip files as untrusted input. <see cref="GZipStream"/> reports every damaged deflate block and every
/// CRC-32 or length mismatch in the trailer as "unsupported compression method"; the stream returned by
/// <see cref="OpenRead"/> checks the header itself and turns those failures into
/// <c>&lt;file&gt; is corrupt (gzip: …)</c>, an <see cref="InvalidDataException"/> that names the file.
/// </summary>
public static class GzipInput
{
    /// <summary>True when <paramref name="head"/> starts with the gzip magic bytes <c>1F 8B</c>.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B;

    /// <summary>
    /// A decompressing stream over <paramref name="compressed"/> (positioned at the gzip header), whose reads raise
    /// <see cref="InvalidDataException"/>s naming <paramref name="path"/>. The header's magic, compression method
    /// (8, deflate) and reserved flag bits are checked before anything is inflated.
    /// </summary>
    public static Stream OpenRead(Stream compressed, string path, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        Span<byte> header = stackalloc byte[10];
        long start = compressed.CanSeek ? compressed.Position : -1;
        int n = compressed.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (n < header.Length) throw Corrupt(path, $"only {n} bytes, shorter than the 10-byte gzip header (truncated?)");
        if (!HasMagic(header)) throw Corrupt(path, $"starts with {header[0]:X2} {header[1]:X2}, not the gzip magic 1F 8B");
        if (header[2] != 8) throw Corrupt(path, $"header byte 2 (compression method) is {header[2]}, not 8 (deflate)");
        if ((header[3] & 0xE0) != 0) throw Corrupt(path, $"header flags 0x{header[3]:X2} set reserved bits");
        if (start < 0) throw new ArgumentException("the compressed stream must be seekable", nameof(compressed));
        compressed.Position = start;
        return new CheckedGzipStream(new GZipStream(compressed, CompressionMode.Decompress, leaveOpen), path);
    }

    /// <summary>The error for a damaged gzip file: <c>&lt;path&gt; is corrupt (gzip: &lt;reason&gt;)</c>.</summary>
    public static InvalidDataException Corrupt(string path, string reason, Exception? inner = null) =>
        new($"{path} is corrupt (gzip: {reason}).", inner);

    /// <summary>Passes reads through, translating zlib's misleading errors.</summary>
    private sealed class CheckedGzipStream(GZipStream inner, string path) : ReadOnlyPassThroughStream(inner)
    {
        protected override int ReadInner(Stream source, Span<byte> buffer)
        {
            try
            {
                return source.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                // zlib's Z_DATA_ERROR: an invalid deflate block, or a CRC-32 / length mismatch in the trailer
                throw Corrupt(path, $"the compressed data is damaged after {BytesRead} inflated bytes: invalid deflate data or a CRC-32/length mismatch in the trailer", e);
            }
        }
    }
}
