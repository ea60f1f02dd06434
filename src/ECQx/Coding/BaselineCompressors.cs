using System.Buffers.Binary;
using System.IO.Compression;

namespace ECQx.Coding;

/// <summary>
/// General-purpose compressors applied to the same levels, for comparison with the level coder: the levels
/// are written as the narrowest little-endian signed integers that hold them (int8 for ≤ 8-bit codebooks)
/// and compressed at strong settings: Brotli quality 11 (window 2^24), Deflate "smallest size", Zstandard
/// level 19.
/// </summary>
public static class BaselineCompressors
{
    /// <summary>The levels as packed little-endian int8, int16 or int32, whichever is the narrowest that holds them.</summary>
    public static byte[] Pack(ReadOnlySpan<int> levels)
    {
        int min = 0, max = 0;
        foreach (int level in levels)
        {
            if (level < min) min = level;
            if (level > max) max = level;
        }
        if (min >= sbyte.MinValue && max <= sbyte.MaxValue)
        {
            var bytes = new byte[levels.Length];
            for (int i = 0; i < levels.Length; i++) bytes[i] = (byte)(sbyte)levels[i];
            return bytes;
        }
        if (min >= short.MinValue && max <= short.MaxValue)
        {
            var bytes = new byte[levels.Length * 2];
            for (int i = 0; i < levels.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)levels[i]);
            return bytes;
        }
        var wide = new byte[levels.Length * 4L];
        for (int i = 0; i < levels.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(wide.AsSpan(4 * i), levels[i]);
        return wide;
    }

    /// <summary>Brotli (quality 11, window 24) size in bytes.</summary>
    public static long Brotli(ReadOnlySpan<byte> data)
    {
        var destination = new byte[BrotliEncoder.GetMaxCompressedLength(data.Length)];
        if (!BrotliEncoder.TryCompress(data, destination, out int written, quality: 11, window: 24))
            throw new InvalidOperationException("Brotli compression failed");
        return written;
    }

    /// <summary>Deflate (raw, smallest size) size in bytes.</summary>
    public static long Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) deflate.Write(data);
        return output.Length;
    }

    /// <summary>Zstandard (level 19) size in bytes.</summary>
    public static long Zstandard(ReadOnlySpan<byte> data)
    {
        using var compressor = new ZstdSharp.Compressor(19);
        return compressor.Wrap(data).Length;
    }
}
