using System.Buffers.Binary;

namespace ECQx.Tests.Fixtures;

/// <summary>Writes WAV files byte by byte (independently of the library's reader), including malformed variants.</summary>
public static class WavFixtures
{
    /// <summary>How to shape a fixture WAV file.</summary>
    public sealed record WavSpec
    {
        /// <summary>Sample rate written in the header.</summary>
        public int SampleRate { get; init; } = 16_000;
        /// <summary>Channels written in the header (samples are written as given, interleaved).</summary>
        public int Channels { get; init; } = 1;
        /// <summary>Bits per sample written in the header.</summary>
        public int BitsPerSample { get; init; } = 16;
        /// <summary>Format tag (1 = PCM, 3 = IEEE float, 0xFFFE = extensible).</summary>
        public int FormatTag { get; init; } = 1;
        /// <summary>Sub-format for the extensible tag.</summary>
        public int ExtensibleSubFormat { get; init; } = 1;
        /// <summary>Insert a LIST/INFO chunk (odd-sized, so a pad byte follows) before the data.</summary>
        public bool ListChunkBeforeData { get; init; }
        /// <summary>Put the data chunk before the fmt chunk.</summary>
        public bool DataBeforeFormat { get; init; }
        /// <summary>Size the LIST chunk declares (when <see cref="ListChunkBeforeData"/>), instead of its real size: e.g. 0x80000000.</summary>
        public uint? DeclaredListSize { get; init; }
        /// <summary>Extra bytes appended to the fmt chunk (an odd count makes it odd-sized).</summary>
        public int FormatExtraBytes { get; init; }
        /// <summary>Leave out the RIFF pad byte after odd-sized chunks (a broken writer).</summary>
        public bool OmitPadBytes { get; init; }
        /// <summary>Cut the file to this many bytes after writing.</summary>
        public int? TruncateTo { get; init; }
    }

    /// <summary>Writes 16-bit samples as a WAV file shaped by <paramref name="spec"/>.</summary>
    public static void Write(string path, short[] samples, WavSpec? spec = null)
    {
        spec ??= new WavSpec();
        var data = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * i), samples[i]);

        bool ext = spec.FormatTag == 0xFFFE;
        var fmt = new byte[(ext ? 40 : 16) + spec.FormatExtraBytes];
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(0), (ushort)spec.FormatTag);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(2), (ushort)spec.Channels);
        BinaryPrimitives.WriteInt32LittleEndian(fmt.AsSpan(4), spec.SampleRate);
        int blockAlign = spec.Channels * spec.BitsPerSample / 8;
        BinaryPrimitives.WriteInt32LittleEndian(fmt.AsSpan(8), spec.SampleRate * blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(12), (ushort)blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(14), (ushort)spec.BitsPerSample);
        if (ext)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(16), 22);
            BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(18), (ushort)spec.BitsPerSample);
            BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(20), 4);
            BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(24), (ushort)spec.ExtensibleSubFormat);
            // rest of the GUID: 00 00 00 00 10 00 80 00 00 AA 00 38 9B 71
            new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 }.CopyTo(fmt, 26);
        }

        using var ms = new MemoryStream();
        void Chunk(string id, byte[] body, uint? declared = null)
        {
            ms.Write(System.Text.Encoding.ASCII.GetBytes(id));
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(len, declared ?? (uint)body.Length);
            ms.Write(len);
            ms.Write(body);
            if (body.Length % 2 == 1 && !spec.OmitPadBytes) ms.WriteByte(0);
        }
        ms.Write("RIFF"u8);
        ms.Write(new byte[4]);
        ms.Write("WAVE"u8);
        if (spec.DataBeforeFormat) { Chunk("data", data); Chunk("fmt ", fmt); }
        else
        {
            Chunk("fmt ", fmt);
            if (spec.ListChunkBeforeData) Chunk("LIST", System.Text.Encoding.ASCII.GetBytes("INFOISFT\u0005\0\0\0ecqx\0"), spec.DeclaredListSize);
            Chunk("data", data);
        }
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        if (spec.TruncateTo is { } t) bytes = bytes[..t];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A sine tone as 16-bit samples.</summary>
    public static short[] Tone(double hz, int samples, double amplitude = 0.5, int sampleRate = 16_000, double phase = 0)
    {
        var s = new short[samples];
        for (int i = 0; i < samples; i++)
            s[i] = (short)Math.Round(32767 * amplitude * Math.Sin(2 * Math.PI * hz * i / sampleRate + phase));
        return s;
    }

    /// <summary>Uniform white noise as 16-bit samples (deterministic in <paramref name="seed"/>).</summary>
    public static short[] Noise(int samples, double amplitude, int seed)
    {
        var rng = new Random(seed);
        var s = new short[samples];
        for (int i = 0; i < samples; i++) s[i] = (short)Math.Round(32767 * amplitude * (2 * rng.NextDouble() - 1));
        return s;
    }
}
