using System.Buffers.Binary;

namespace ECQx.Data.Speech;

/// <summary>Where a WAV file's samples are and how they are encoded, as read from its chunk headers.</summary>
/// <param name="SampleRate">Samples per second.</param>
/// <param name="DataOffset">Byte offset of the <c>data</c> chunk's body.</param>
/// <param name="DataBytes">Length of the <c>data</c> chunk's body in bytes (even; two per sample).</param>
public readonly record struct WavLayout(int SampleRate, long DataOffset, long DataBytes)
{
    /// <summary>Number of 16-bit samples.</summary>
    public long SampleCount => DataBytes / 2;
}

/// <summary>
/// A strict reader for RIFF/WAVE files holding 16-bit PCM mono audio (the Speech Commands format). Chunks other
/// than <c>fmt </c> and <c>data</c> (e.g. <c>LIST</c>, <c>fact</c>) are skipped, honouring the RIFF pad byte after
/// odd-sized chunks; <c>WAVE_FORMAT_EXTENSIBLE</c> with a PCM sub-format is accepted. Anything else (not RIFF,
/// compressed or float samples, stereo, 8/24/32-bit, a wrong sample rate, a chunk — of any kind, with any declared
/// size up to 2^32 − 1 — running past the end of the file, a chunk id that is not four printable characters, as
/// after an odd-sized chunk written without its pad byte) raises an <see cref="InvalidDataException"/> naming the
/// file and the problem. <see cref="ReadLayout"/> checks only the chunk headers (a few hundred bytes), which is
/// cheap enough to validate a whole dataset before training starts.
/// </summary>
public static class WavReader
{
    private const ushort FormatPcm = 1;
    private const ushort FormatExtensible = 0xFFFE;
    private const int MaxFormatBytes = 1 << 16;

    /// <summary>Reads the samples of <paramref name="path"/>; when <paramref name="expectedSampleRate"/> is given the
    /// file must use it.</summary>
    public static short[] ReadPcm16Mono(string path, int? expectedSampleRate = 16000)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"WAV file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        return Samples(bytes, Walk(new ArraySource(bytes), path, expectedSampleRate));
    }

    /// <summary>
    /// Checks the chunk headers of <paramref name="path"/> without reading the samples: the same checks as
    /// <see cref="ReadPcm16Mono"/> except the sample values themselves.
    /// </summary>
    public static WavLayout ReadLayout(string path, int? expectedSampleRate = 16000)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"WAV file not found: {path}", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 512);
        return Walk(new StreamSource(file), path, expectedSampleRate);
    }

    /// <summary>Parses WAV bytes; <paramref name="path"/> names the source in messages; the file's rate is returned
    /// in <paramref name="sampleRate"/>.</summary>
    public static short[] Parse(ReadOnlySpan<byte> bytes, string path, int? expectedSampleRate, out int sampleRate)
    {
        byte[] copy = bytes.ToArray();
        var layout = Walk(new ArraySource(copy), path, expectedSampleRate);
        sampleRate = layout.SampleRate;
        return Samples(copy, layout);
    }

    private static short[] Samples(byte[] bytes, WavLayout layout)
    {
        var samples = new short[layout.SampleCount];
        var src = bytes.AsSpan((int)layout.DataOffset, (int)layout.DataBytes);
        if (BitConverter.IsLittleEndian) src.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples.AsSpan()));
        else for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
        return samples;
    }

    /// <summary>Walks the chunks up to the <c>data</c> chunk and checks every header on the way.</summary>
    private static WavLayout Walk(IByteSource source, string path, int? expectedSampleRate)
    {
        long length = source.Length;
        Span<byte> head = stackalloc byte[12];
        if (length < 12) throw Bad(path, $"only {length} bytes, shorter than a RIFF header (truncated?)");
        source.ReadAt(0, head);
        if (!head[..4].SequenceEqual("RIFF"u8)) throw Bad(path, "does not start with 'RIFF'");
        if (!head[8..12].SequenceEqual("WAVE"u8)) throw Bad(path, "RIFF form type is not 'WAVE'");

        bool haveFormat = false;
        ushort channels = 0, bits = 0;
        int sampleRate = 0;
        long pos = 12;
        string? previousOdd = null; // an odd-sized chunk just skipped (its pad byte may be missing)
        Span<byte> chunkHead = stackalloc byte[8];
        while (pos + 8 <= length)
        {
            source.ReadAt(pos, chunkHead);
            var id = chunkHead[..4];
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHead[4..]);
            long body = pos + 8, end = body + size;
            if (!IsFourCC(id))
                throw Bad(path, $"bytes {Hex(id)} at offset {pos} are not a chunk id" +
                    (previousOdd is null ? " (corrupt chunk sizes?)" : $"; the odd-sized '{previousOdd}' chunk before it may lack its RIFF pad byte"));
            string name = System.Text.Encoding.ASCII.GetString(id);
            if (end > length)
                throw Bad(path, $"'{name}' chunk at offset {pos} declares {size} bytes but only {length - body} remain (truncated or corrupt)");
            if (name == "fmt ")
            {
                if (size < 16) throw Bad(path, $"'fmt ' chunk is {size} bytes, fewer than 16");
                if (size > MaxFormatBytes) throw Bad(path, $"'fmt ' chunk is {size} bytes, more than {MaxFormatBytes}");
                var f = new byte[size];
                source.ReadAt(body, f);
                ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(f);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(2));
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(f.AsSpan(4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(14));
                if (tag == FormatExtensible)
                {
                    if (size < 40) throw Bad(path, "WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is shorter than 40 bytes");
                    tag = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(24));
                }
                if (tag != FormatPcm) throw Bad(path, $"audio format {tag} is not PCM (1); compressed and float WAVs are not supported");
                haveFormat = true;
            }
            else if (name == "data")
            {
                if (!haveFormat) throw Bad(path, "'data' chunk comes before any 'fmt ' chunk");
                if (channels != 1) throw Bad(path, $"has {channels} channels; only mono is supported");
                if (bits != 16) throw Bad(path, $"has {bits}-bit samples; only 16-bit PCM is supported");
                if (expectedSampleRate is { } r && sampleRate != r) throw Bad(path, $"sample rate is {sampleRate} Hz, expected {r} Hz");
                if (size % 2 != 0) throw Bad(path, $"'data' chunk has {size} bytes, not a whole number of 16-bit samples");
                return new WavLayout(sampleRate, body, size);
            }
            previousOdd = size % 2 == 1 ? name : null;
            pos = end + (size & 1);
        }
        throw Bad(path, haveFormat ? "has no 'data' chunk (truncated?)" : "has no 'fmt ' chunk (truncated?)");
    }

    private static bool IsFourCC(ReadOnlySpan<byte> id)
    {
        foreach (byte b in id)
            if (b is < 0x20 or > 0x7E) return false;
        return true;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(" ", bytes.ToArray().Select(b => b.ToString("X2")));

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a readable 16-bit PCM mono WAV: {what}.");

    /// <summary>Random access to the file's bytes: a whole array, or a seekable stream read header by header.</summary>
    private interface IByteSource
    {
        long Length { get; }
        void ReadAt(long offset, Span<byte> destination);
    }

    private sealed class ArraySource(byte[] bytes) : IByteSource
    {
        public long Length => bytes.Length;
        public void ReadAt(long offset, Span<byte> destination) => bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);
    }

    private sealed class StreamSource(Stream stream) : IByteSource
    {
        public long Length { get; } = stream.Length;

        public void ReadAt(long offset, Span<byte> destination)
        {
            stream.Position = offset;
            stream.ReadExactly(destination);
        }
    }
}
