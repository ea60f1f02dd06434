using System.Buffers.Binary;
using ECQx.Data.Speech;
using ECQx.Data.Speech.Synthesis;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

/// <summary>A fact that needs espeak-ng on the PATH; skipped, saying how to get it, where there is none.</summary>
public sealed class EspeakFactAttribute : FactAttribute
{
    public EspeakFactAttribute()
    {
        if (EspeakNg.Find() is null) Skip = "espeak-ng is not installed (apt-get install espeak-ng); the speech synthesis test is skipped.";
    }
}

/// <summary>
/// The synthesized Speech Commands corpus (<see cref="SynthesizedSpeechCommands"/>): the real layout read by the real loader,
/// speaker-disjoint splits, determinism, the marker, atomic writes, and a clear error without espeak-ng. A small corpus
/// (6 voices, 3 unknown words) keeps them fast.
/// </summary>
public sealed class SynthesizedSpeechCommandsTests
{
    private static readonly SpeechSynthesisOptions Small = new()
    {
        Seed = 11, Speakers = 6, TestSpeakers = 2, ValidationSpeakers = 1, ClipsPerKeyword = 2, ClipsPerUnknownWord = 1,
        UnknownWords = new[] { "bed", "cat", "marvin" },
    };

    private static readonly Lazy<string> SmallCorpus = new(() => SynthesizedSpeechCommands.Write(Path.Combine(TestPaths.NewTempDir(), "gsc"), Small));

    private static string SpeakerOf(SpeechClip c) => Path.GetFileName(c.RelativePath).Split("_nohash_")[0];

    [EspeakFact]
    public void WritesTheSpeechCommandsLayoutThatTheLoaderReads()
    {
        string root = SmallCorpus.Value;
        Assert.True(SynthesizedSpeechCommands.IsSynthesized(root));
        Assert.Contains("SYNTHESIZED SPEECH", File.ReadAllText(Path.Combine(root, SynthesizedSpeechCommands.MarkerFileName)));
        var layout = SpeechCommandsLayout.Scan(root);
        Assert.Equal(Small.Words.Order(StringComparer.Ordinal), layout.Words);
        Assert.Equal(SpokenClipVariants.NoiseKinds.Count, layout.NoiseFiles.Count);
        var all = layout.Train.Concat(layout.Validation).Concat(layout.Test).ToList();
        Assert.Equal(6 * (10 * 2 + 3 * 1), all.Count);
        foreach (var clip in all.Where((_, i) => i % 7 == 0))
        {
            var samples = WavReader.ReadPcm16Mono(layout.FullPath(clip), 16_000);
            Assert.Equal(16_000, samples.Length);
            Assert.True(samples.Max(s => Math.Abs((int)s)) > 3000, $"{clip.RelativePath} is nearly silent");
        }
        TorchRuntime.EnsureLoaded();
        using var splits = SpeechCommands.Load(root, new SpeechCommandsOptions { BatchSize = 8, UseFeatureCache = false });
        // 12-class test split: 2 test voices × 10 keywords × 2 clips, plus ⌈10 %⌉ unknown and ⌈10 %⌉ silence.
        Assert.Equal(40 + 4 + 4, splits.Test.Count);
        Assert.Equal(12, splits.Train.NumClasses);
    }

    [EspeakFact]
    public void EachVoiceIsInOneSplitOnlyAsTheSpeakersFileSays()
    {
        string root = SmallCorpus.Value;
        var layout = SpeechCommandsLayout.Scan(root);
        var train = layout.Train.Select(SpeakerOf).ToHashSet();
        var validation = layout.Validation.Select(SpeakerOf).ToHashSet();
        var test = layout.Test.Select(SpeakerOf).ToHashSet();
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        var listed = File.ReadLines(Path.Combine(root, SynthesizedSpeechCommands.SpeakersFile)).Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(test.Order(), listed.Where(s => s[4] == "test").Select(s => s[0]).Order());
        Assert.Equal(validation.Order(), listed.Where(s => s[4] == "validation").Select(s => s[0]).Order());
        Assert.Equal((2, 1, 3), (test.Count, validation.Count, train.Count));
        Assert.Equal(6, listed.Select(s => s[1]).Distinct().Count()); // six different voices (accent + variant)
    }

    [EspeakFact]
    public void TheSameSeedWritesTheSameCorpusAndAFinishedOneIsKept()
    {
        string a = SmallCorpus.Value;
        string b = SynthesizedSpeechCommands.Write(Path.Combine(TestPaths.NewTempDir(), "gsc"), Small);
        var files = Directory.EnumerateFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToList();
        Assert.Equal(files, Directory.EnumerateFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order());
        Assert.All(files.Where(f => f.EndsWith(".wav", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal) && !f.Contains("SYNTHESIZED")),
            f => Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f))));
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(b, SynthesizedSpeechCommands.MarkerFileName));
        SynthesizedSpeechCommands.Write(b, Small);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(b, SynthesizedSpeechCommands.MarkerFileName)));
        Assert.Empty(Directory.EnumerateDirectories(Path.GetDirectoryName(b)!, "gsc.partial-*")); // no leftovers beside it
    }

    [Fact]
    public void WithoutEspeakNgTheErrorNamesThePackageAndNothingIsWritten()
    {
        string root = Path.Combine(TestPaths.NewTempDir(), "gsc");
        var e = Assert.Throws<SpeechSynthesizerMissingException>(() =>
            SynthesizedSpeechCommands.Write(root, Small with { ExecutableSearchPath = TestPaths.NewTempDir() }));
        Assert.Contains("espeak-ng", e.Message);
        Assert.Contains("apt-get install -y espeak-ng", e.Message);
        Assert.False(Directory.Exists(root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(root)!));
    }

    [Fact]
    public void AFolderThatIsNotASynthesizedCorpusIsNotOverwritten()
    {
        string root = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(root, "mine.txt"), "keep me");
        var e = Assert.Throws<IOException>(() => SynthesizedSpeechCommands.Write(root, Small));
        Assert.Contains("not a synthesized Speech Commands corpus", e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(root, "mine.txt")));
    }

    [Fact]
    public void TheStreamedWavHeaderOfEspeakNgIsReadWithItsRealLength()
    {
        var samples = new short[] { 0, 1000, -1000, 32767, -32768 };
        byte[] wav = WavWriter.Encode(samples, 22_050);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(4), 0x7ffff024);  // what espeak-ng --stdout declares
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), 0x7ffff000);
        Assert.Equal(samples, EspeakNg.ParseStreamedWav(wav, "stdout", out int rate));
        Assert.Equal(22_050, rate);
    }

    /// <summary>The variants of one utterance: one-second clips, peak levels in the documented range (without noise), and the
    /// word's centre of energy within the documented shift of the clip's centre.</summary>
    [Fact]
    public void VariantsAreCentredOneSecondClipsAtTheDocumentedLevels()
    {
        TorchRuntime.EnsureLoaded();
        const int rate = 22_050;
        // A 0.4 s burst of a 300 Hz tone between 0.1 s of silence on each side, as espeak-ng's output has.
        var utterance = Enumerable.Range(0, (int)(0.6 * rate)).Select(i =>
            i < 0.1 * rate || i >= 0.5 * rate ? (short)0 : (short)(12000 * Math.Sin(2 * Math.PI * 300 * i / rate))).ToArray();
        using var noise = BackgroundNoise.Empty();
        using var gen = new Generator(5);
        using var clips = SpokenClipVariants.Derive(utterance, rate, 64, noise, gen);
        Assert.Equal(new long[] { 64, 16_000 }, clips.shape);
        using var peaks = clips.abs().amax(new long[] { 1 });
        Assert.InRange(peaks.min().item<float>(), SpokenClipVariants.MinPeak - 1e-3, SpokenClipVariants.MaxPeak);
        Assert.InRange(peaks.max().item<float>(), SpokenClipVariants.MinPeak, SpokenClipVariants.MaxPeak + 1e-3);
        using var energy = clips.pow(2);
        using var t = arange(16_000, dtype: float32);
        using var centre = energy.mul(t).sum(1).div(energy.sum(1)).div(16_000).sub(0.5).abs();
        Assert.True(centre.max().item<float>() <= SpokenClipVariants.MaxShiftSeconds + 0.01, $"centre off by {centre.max().item<float>():F3} s");
        // Lengths follow the speed factors: 0.4 s at speed s lasts 0.4 / s seconds.
        using var loud = clips.abs().gt(0.01).to(float32).sum(1).div(16_000);
        Assert.InRange(loud.min().item<float>(), 0.4 / (1 + SpokenClipVariants.SpeedSpread) - 0.02, 0.4);
        Assert.InRange(loud.max().item<float>(), 0.4, 0.4 / (1 - SpokenClipVariants.SpeedSpread) + 0.02);
    }
}
