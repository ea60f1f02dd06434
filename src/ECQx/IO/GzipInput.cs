using System.IO.Compression;

namespace ECQx.IO;

/// <summary>
/// Reading gzip files as untrusted input. <see cref="GZipStream"/> reports every damaged deflate block and every
/// CRC-32 or length mismatch in the trailer as "unsupported compression method"; the stream returned by
/// <see cref="OpenRead"/> checks the header itself and turns those failures into
/// <c>&lt;file&gt; is corrupt (gzip: …)</c>, an <see cref="InvalidDataException"/> that names the file. It also checks
/// the trailer (CRC-32 and length) at the end of the data, which <see cref="GZipStream"/> skips when the file ends
/// before it: a truncated trailer is refused.
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
        return new CheckedGzipStream(new GZipStream(compressed, CompressionMode.Decompress, leaveOpen), compressed, path);
    }

    /// <summary>The error for a damaged gzip file: <c>&lt;path&gt; is corrupt (gzip: &lt;reason&gt;)</c>.</summary>
    public static InvalidDataException Corrupt(string path, string reason, Exception? inner = null) =>
        new($"{path} is corrupt (gzip: {reason}).", inner);

    /// <summary>
    /// Passes reads through, translating zlib's misleading errors, and at the end of the inflated data checks the gzip
    /// trailer itself: zlib refuses a trailer that does not match, but a stream that ends before its trailer (the last 8
    /// bytes, or some of them, cut off) simply ends. The CRC-32 and length (mod 2^32) of everything inflated must equal
    /// the file's last 8 bytes; a file of several gzip members (legal, but not what datasets ship) fails this check too.
    /// </summary>
    private sealed class CheckedGzipStream(GZipStream inner, Stream compressed, string path) : ReadOnlyPassThroughStream(inner)
    {
        private uint _crc;
        private bool _trailerChecked;

        protected override int ReadInner(Stream source, Span<byte> buffer)
        {
            int n;
            try
            {
                n = source.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                // zlib's Z_DATA_ERROR: an invalid deflate block, or a CRC-32 / length mismatch in the trailer
                throw Corrupt(path, $"the compressed data is damaged after {BytesRead} inflated bytes: invalid deflate data or a CRC-32/length mismatch in the trailer", e);
            }
            if (n > 0) _crc = Crc32.Append(_crc, buffer[..n]);
            else if (buffer.Length > 0 && !_trailerChecked) CheckTrailer();
            return n;
        }

        private void CheckTrailer()
        {
            _trailerChecked = true;
            long length = compressed.Length;
            if (length < 18) throw Corrupt(path, $"the file has {length} bytes, too short for a gzip header, data and 8-byte trailer (truncated?)");
            Span<byte> trailer = stackalloc byte[8];
            compressed.Position = length - 8;
            compressed.ReadExactly(trailer);
            compressed.Position = length; // nothing is left for the inflater to read
            uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            uint size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            if (crc != _crc || size != unchecked((uint)BytesRead))
                throw Corrupt(path,
                    $"the trailer does not match the {BytesRead} inflated bytes (CRC-32 {_crc:X8}, length {unchecked((uint)BytesRead)}; " +
                    $"the last 8 bytes say CRC-32 {crc:X8}, length {size}): the file is truncated (its 8-byte trailer missing or cut short) " +
                    "or holds several gzip members");
        }
    }
}
