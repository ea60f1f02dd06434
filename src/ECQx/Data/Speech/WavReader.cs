using System.Buffers.Binary;

namespace ECQx.Data.Speech;

/// <summary>
/// A strict reader for RIFF/WAVE files holding 16-bit PCM mono audio (the Speech Commands format). Chunks other
/// than <c>fmt </c> and <c>data</c> (e.g. <c>LIST</c>, <c>fact</c>) are skipped, honouring the RIFF pad byte after
/// odd-sized chunks; <c>WAVE_FORMAT_EXTENSIBLE</c> with a PCM sub-format is accepted. Anything else (not RIFF,
/// compressed or float samples, stereo, 8/24/32-bit, a wrong sample rate, a data chunk running past the end of the
/// file) raises an <see cref="InvalidDataException"/> naming the file and the problem.
/// </summary>
public static class WavReader
{
    private const ushort FormatPcm = 1;
    private const ushort FormatExtensible = 0xFFFE;

    /// <summary>Reads the samples of <paramref name="path"/>; when <paramref name="expectedSampleRate"/> is given the
    /// file must use it.</summary>
    public static short[] ReadPcm16Mono(string path, int? expectedSampleRate = 16000)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"WAV file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path, expectedSampleRate, out _);
    }

    /// <summary>Parses WAV bytes; <paramref name="path"/> names the source in messages; the file's rate is returned
    /// in <paramref name="sampleRate"/>.</summary>
    public static short[] Parse(ReadOnlySpan<byte> bytes, string path, int? expectedSampleRate, out int sampleRate)
    {
        if (bytes.Length < 12) throw Bad(path, $"only {bytes.Length} bytes, shorter than a RIFF header (truncated?)");
        if (!bytes[..4].SequenceEqual("RIFF"u8)) throw Bad(path, "does not start with 'RIFF'");
        if (!bytes[8..12].SequenceEqual("WAVE"u8)) throw Bad(path, "RIFF form type is not 'WAVE'");

        bool haveFormat = false;
        ushort channels = 0, bits = 0;
        sampleRate = 0;
        int pos = 12;
        while (pos + 8 <= bytes.Length)
        {
            var id = bytes.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(pos + 4, 4));
            int body = pos + 8;
            long end = body + (long)size;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16) throw Bad(path, $"'fmt ' chunk is {size} bytes, fewer than 16");
                if (end > bytes.Length) throw Bad(path, "'fmt ' chunk runs past the end of the file (truncated)");
                var f = bytes.Slice(body, (int)size);
                ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(f);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(f[2..]);
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(f[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(f[14..]);
                if (tag == FormatExtensible)
                {
                    if (size < 40) throw Bad(path, "WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is shorter than 40 bytes");
                    tag = BinaryPrimitives.ReadUInt16LittleEndian(f[24..]);
                }
                if (tag != FormatPcm) throw Bad(path, $"audio format {tag} is not PCM (1); compressed and float WAVs are not supported");
                haveFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFormat) throw Bad(path, "'data' chunk comes before any 'fmt ' chunk");
                if (channels != 1) throw Bad(path, $"has {channels} channels; only mono is supported");
                if (bits != 16) throw Bad(path, $"has {bits}-bit samples; only 16-bit PCM is supported");
                if (expectedSampleRate is { } r && sampleRate != r) throw Bad(path, $"sample rate is {sampleRate} Hz, expected {r} Hz");
                if (end > bytes.Length)
                    throw Bad(path, $"'data' chunk declares {size} bytes but only {bytes.Length - body} remain (truncated file)");
                if (size % 2 != 0) throw Bad(path, $"'data' chunk has {size} bytes, not a whole number of 16-bit samples");
                var samples = new short[size / 2];
                var src = bytes.Slice(body, (int)size);
                if (BitConverter.IsLittleEndian) src.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples.AsSpan()));
                else for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
                return samples;
            }
            pos = (int)Math.Min(end + (size & 1), int.MaxValue);
        }
        throw Bad(path, haveFormat ? "has no 'data' chunk (truncated?)" : "has no 'fmt ' chunk (truncated?)");
    }

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a readable 16-bit PCM mono WAV: {what}.");
}
