using ECQx.Data.Speech;
using ECQx.Tests.Fixtures;
using Xunit;

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
    };

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
