using ECQx.Data.Speech;
using ECQx.Tests.Fixtures;
using Xunit;
using ECQx.Tests.Fuzzing;

namespace ECQx.Tests.Data;

public class WavReaderTests
{
    private static readonly short[] Samples = { 0, 1, -1, 32767, -32768, 1234, -4321 };

    private static string Write(WavFixtures.WavSpec spec, short[]? samples = null)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "clip.wav");
        WavFixtures.Write(path, samples ?? Samples, spec);
        return path;
    }

    [Fact]
    public void ReadsPlainPcm16Mono() =>
        Assert.Equal(Samples, WavReader.ReadPcm16Mono(Write(new WavFixtures.WavSpec())));

    [Fact]
    public void SkipsListChunksIncludingThePadByte() =>
        Assert.Equal(Samples, WavReader.ReadPcm16Mono(Write(new WavFixtures.WavSpec { ListChunkBeforeData = true })));

    [Fact]
    public void AcceptsExtensibleFormatWithPcmSubFormat() =>
        Assert.Equal(Samples, WavReader.ReadPcm16Mono(Write(new WavFixtures.WavSpec { FormatTag = 0xFFFE })));

    [Fact]
    public void OtherSampleRatesAreReadWhenNotConstrained() =>
        Assert.Equal(Samples, WavReader.ReadPcm16Mono(Write(new WavFixtures.WavSpec { SampleRate = 8000 }), expectedSampleRate: null));

    public static TheoryData<string, WavFixtures.WavSpec, string> BadFiles => new()
    {
        { "stereo", new WavFixtures.WavSpec { Channels = 2 }, "2 channels" },
        { "8-bit", new WavFixtures.WavSpec { BitsPerSample = 8 }, "8-bit" },
        { "float", new WavFixtures.WavSpec { FormatTag = 3 }, "not PCM" },
        { "extensible float", new WavFixtures.WavSpec { FormatTag = 0xFFFE, ExtensibleSubFormat = 3 }, "not PCM" },
        { "rate", new WavFixtures.WavSpec { SampleRate = 44100 }, "44100" },
        { "truncated data", new WavFixtures.WavSpec { TruncateTo = 50 }, "truncated" },
        { "no data chunk", new WavFixtures.WavSpec { TruncateTo = 36 }, "no 'data' chunk" },
        { "data before fmt", new WavFixtures.WavSpec { DataBeforeFormat = true }, "before" },
        { "header only", new WavFixtures.WavSpec { TruncateTo = 10 }, "shorter than a RIFF header" },
        { "LIST chunk of 2^31 bytes", new WavFixtures.WavSpec { ListChunkBeforeData = true, DeclaredListSize = 0x80000000 },
            "'LIST' chunk at offset 36 declares 2147483648 bytes but only" },
        { "LIST chunk of 2^32-1 bytes", new WavFixtures.WavSpec { ListChunkBeforeData = true, DeclaredListSize = uint.MaxValue },
            "declares 4294967295 bytes" },
        { "odd fmt chunk without pad byte", new WavFixtures.WavSpec { FormatExtraBytes = 1, OmitPadBytes = true },
            "the odd-sized 'fmt ' chunk before it may lack its RIFF pad byte" },
        { "odd LIST chunk without pad byte", new WavFixtures.WavSpec { ListChunkBeforeData = true, OmitPadBytes = true },
            "the odd-sized 'LIST' chunk before it may lack its RIFF pad byte" },
    };

    [Fact]
    public void AnOddFormatChunkWithItsPadByteIsRead() =>
        Assert.Equal(Samples, WavReader.ReadPcm16Mono(Write(new WavFixtures.WavSpec { FormatExtraBytes = 1 })));

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void TheHeaderCheckRejectsWhatTheReaderRejects(string what, WavFixtures.WavSpec spec, string expected)
    {
        string path = Write(spec);
        var e = Assert.Throws<InvalidDataException>(() => WavReader.ReadLayout(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TheHeaderCheckLocatesTheSamples()
    {
        string path = Write(new WavFixtures.WavSpec { ListChunkBeforeData = true });
        var layout = WavReader.ReadLayout(path);
        Assert.Equal(16000, layout.SampleRate);
        Assert.Equal(Samples.Length, layout.SampleCount);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(bytes.Length, layout.DataOffset + layout.DataBytes);
        Assert.Equal("data"u8.ToArray(), bytes[(int)(layout.DataOffset - 8)..(int)(layout.DataOffset - 4)]);
    }

    /// <summary>
    /// Seeded random corruption of valid files (bit flips, truncation, overwritten runs, forged chunk sizes): the reader
    /// and the header check either succeed or throw <see cref="InvalidDataException"/> naming the file, never anything
    /// else, and when both succeed they agree.
    /// </summary>
    [Fact]
    public void ThousandsOfCorruptedFilesFailCleanly()
    {
        var random = new Random(1313);
        string dir = TestPaths.NewTempDir();
        var originals = new[]
        {
            Write(new WavFixtures.WavSpec { ListChunkBeforeData = true }), Write(new WavFixtures.WavSpec { FormatTag = 0xFFFE }),
            Write(new WavFixtures.WavSpec()),
        }.Select(File.ReadAllBytes).ToArray();
        string path = Path.Combine(dir, "fuzz.wav");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] bytes = originals[trial % originals.Length];
            var kind = SeededCorruption.Draw(random);
            if (kind == Corruption.AppendGarbage)
            {
                // instead: forge a 32-bit field at a 4-byte boundary inside the headers (chunk sizes live there)
                bytes = (byte[])bytes.Clone();
                int field = 4 * random.Next(1, Math.Min(20, bytes.Length / 4));
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(field), (uint)random.NextInt64(0, 1L << 32));
            }
            else bytes = SeededCorruption.Apply(bytes, kind, random, maxRun: 11);
            File.WriteAllBytes(path, bytes);
            short[]? samples = null;
            WavLayout? layout = null;
            try { samples = WavReader.ReadPcm16Mono(path); }
            catch (InvalidDataException e) { Assert.Contains(path, e.Message); rejected++; }
            try { layout = WavReader.ReadLayout(path); }
            catch (InvalidDataException e) { Assert.Contains(path, e.Message); }
            Assert.Equal(samples is null, layout is null);
            if (samples is not null) Assert.Equal(samples.Length, layout!.Value.SampleCount);
        }
        Assert.True(rejected > 500, $"only {rejected} of 3000 corruptions were rejected");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "fuzzing took too long (hang?)");
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void UnsupportedOrDamagedFilesNameTheFileAndTheProblem(string what, WavFixtures.WavSpec spec, string expected)
    {
        string path = Write(spec);
        var e = Assert.Throws<InvalidDataException>(() => WavReader.ReadPcm16Mono(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void NonRiffFileIsRejected()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "x.wav");
        File.WriteAllText(path, "ID3 this is an mp3, honest");
        var e = Assert.Throws<InvalidDataException>(() => WavReader.ReadPcm16Mono(path));
        Assert.Contains("RIFF", e.Message);
    }
}
