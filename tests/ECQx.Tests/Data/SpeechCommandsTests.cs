using ECQx.Data.Speech;
using ECQx.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

public class SpeechCommandsTests
{
    private static (string root, string cache) MakeFixture(SpeechCommandsFixtures.Spec? spec = null)
    {
        string root = Path.Combine(TestPaths.NewTempDir(), "gsc");
        SpeechCommandsFixtures.Make(root, spec);
        return (root, Path.Combine(TestPaths.NewTempDir(), "features"));
    }

    private static List<(float[] x, long[] y)> Collect(ECQx.Data.IBatchSource source, int epoch) =>
        source.Batches(epoch).Select(b =>
        {
            using (b.inputs)
            using (b.labels)
                return (b.inputs.data<float>().ToArray(), b.labels.data<long>().ToArray());
        }).ToList();

    [Fact]
    public void LayoutFollowsTheListFiles()
    {
        var (root, _) = MakeFixture();
        var layout = SpeechCommandsLayout.Scan(root);
        Assert.Equal(new[] { "cat", "dog", "down", "no", "up", "yes" }, layout.Words);
        Assert.Equal(2, layout.NoiseFiles.Count);
        Assert.Equal(6, layout.Test.Count);
        Assert.Equal(6, layout.Validation.Count);
        Assert.Equal(18, layout.Train.Count);
        Assert.All(layout.Test, c => Assert.StartsWith(SpeechCommandsFixtures.Speaker(0), c.RelativePath.Split('/')[1]));
        Assert.All(layout.Validation, c => Assert.StartsWith(SpeechCommandsFixtures.Speaker(1), c.RelativePath.Split('/')[1]));
        Assert.Empty(layout.Train.Intersect(layout.Test));

        File.Delete(Path.Combine(root, "testing_list.txt"));
        var e = Assert.Throws<FileNotFoundException>(() => SpeechCommandsLayout.Scan(root));
        Assert.Contains("testing_list.txt", e.Message);

        string list = Path.Combine(root, "validation_list.txt");
        File.Delete(list);
        Directory.CreateDirectory(list);
        var d = Assert.Throws<InvalidDataException>(() => SpeechCommandsLayout.Scan(root));
        Assert.StartsWith($"{list} is a directory, not the list file of that name", d.Message);
    }

    [Fact]
    public void TwelveClassTaskAddsUnknownAndSilenceInTheStandardProportions()
    {
        var (root, cache) = MakeFixture();
        using var splits = SpeechCommands.Load(root, new SpeechCommandsOptions { BatchSize = 4, Seed = 5, FeatureCacheDirectory = cache });
        Assert.Equal(12, splits.Train.NumClasses);
        Assert.Equal("_silence_", splits.Train.ClassNames[10]);
        Assert.Equal("_unknown_", splits.Train.ClassNames[11]);
        // train: 4 keywords × 3 speakers = 12 known, ⌈1.2⌉ = 2 unknown, ⌈1.2⌉ = 2 silence
        var train = (SpeechCommandsBatchSource)splits.Train;
        Assert.Equal(16, train.Count);
        Assert.Equal(2, train.Examples.Count(e => e.Label == 11));
        Assert.Equal(2, train.Examples.Count(e => e.IsSilence && e.Label == 10));
        Assert.All(train.Examples.Where(e => e.Label == 11), e => Assert.Matches("^(cat|dog)/", e.RelativePath!));
        Assert.All(train.Examples.Where(e => e.Label < 10), e => Assert.StartsWith(new[] { "yes", "no", "up", "down" }[e.Label] + "/", e.RelativePath!));
        // test: 4 known, 1 unknown, 1 silence
        Assert.Equal(6, splits.Test.Count);
        Assert.Equal(6, splits.Validation!.Count);
        Assert.Equal(new long[] { 49, 10 }, splits.Test.InputShape);
    }

    [Fact]
    public void AllWordsTaskUsesEveryFolderAsAClass()
    {
        var (root, cache) = MakeFixture();
        using var splits = SpeechCommands.Load(root, new SpeechCommandsOptions { Task = SpeechCommandsTask.AllWords, FeatureCacheDirectory = cache, TrainAugmentation = null });
        Assert.Equal(new[] { "cat", "dog", "down", "no", "up", "yes" }, splits.Train.ClassNames);
        Assert.Equal(18, splits.Train.Count);
        Assert.Equal(6, splits.Test.Count);
        var labels = Collect(splits.Test, 0).SelectMany(b => b.y).ToArray();
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, labels);
    }

    [Fact]
    public void EvaluationFeaturesAreTheMfccOfThePaddedClipAndSilenceIsSeededNoise()
    {
        var (root, cache) = MakeFixture();
        var options = new SpeechCommandsOptions { BatchSize = 100, Seed = 5, FeatureCacheDirectory = cache };
        using var splits = SpeechCommands.Load(root, options);
        var test = (SpeechCommandsBatchSource)splits.Test;
        var (x, y) = Collect(test, 0).Single();
        using var mfcc = new Mfcc(options.Mfcc);
        using var scope = NewDisposeScope();
        for (int i = 0; i < test.Count; i++)
        {
            var ex = test.Examples[i];
            var got = tensor(x.AsSpan(i * 490, 490).ToArray()).reshape(49, 10);
            if (ex.IsSilence)
            {
                // background noise was mixed in: not the all-zero clip's constant c0
                Assert.True(got[.., 0].gt(-80).all().item<bool>(), "silence features look like digital zero");
                continue;
            }
            var samples = WavReader.ReadPcm16Mono(Path.Combine(root, ex.RelativePath!));
            var padded = new float[16000];
            for (int s = 0; s < Math.Min(16000, samples.Length); s++) padded[s] = samples[s] / 32768f;
            var expected = mfcc.Compute(tensor(padded).unsqueeze(0))[0];
            Assert.True(expected.allclose(got, rtol: 1e-4, atol: 1e-3), $"features of {ex.RelativePath} differ");
            Assert.Equal(ex.Label, y[i]);
        }
        // Silence is deterministic: a second load (without cache) gives the same features.
        using var again = SpeechCommands.Load(root, options with { UseFeatureCache = false });
        Assert.Equal(x, Collect(again.Test, 0).Single().x);
    }

    [Fact]
    public void ShortClipsArePaddedWithZerosAtTheEnd()
    {
        var (root, cache) = MakeFixture();
        using var splits = SpeechCommands.Load(root, new SpeechCommandsOptions { FeatureCacheDirectory = cache, Task = SpeechCommandsTask.AllWords });
        var val = (SpeechCommandsBatchSource)splits.Validation!;   // speaker 1: 0.75 s clips
        using var w = val.ReadWaveforms(new long[] { 0 });
        var v = w.data<float>().ToArray();
        Assert.Equal(16000, v.Length);
        Assert.All(v.Skip(12000), s => Assert.Equal(0f, s));
        Assert.Contains(v.Take(12000), s => s != 0f);
    }

    [Fact]
    public void FeatureCacheIsReusedAndInvalidatedByParametersFilesOrDamage()
    {
        var (root, cache) = MakeFixture();
        var options = new SpeechCommandsOptions { FeatureCacheDirectory = cache, Seed = 2 };
        float[] first;
        string file;
        using (var a = SpeechCommands.Load(root, options))
        {
            var t = (SpeechCommandsBatchSource)a.Test;
            Assert.False(t.LoadedFromCache);
            file = t.CacheFile!;
            Assert.True(File.Exists(file));
            first = Collect(t, 0).SelectMany(b => b.x).ToArray();
        }
        using (var b = SpeechCommands.Load(root, options))
        {
            var t = (SpeechCommandsBatchSource)b.Test;
            Assert.True(t.LoadedFromCache);
            Assert.Equal(file, t.CacheFile);
            Assert.Equal(first, Collect(t, 0).SelectMany(x => x.x).ToArray());
        }
        using (var c = SpeechCommands.Load(root, options with { Mfcc = new MfccOptions { Coefficients = 12 } }))
        {
            var t = (SpeechCommandsBatchSource)c.Test;
            Assert.False(t.LoadedFromCache);
            Assert.NotEqual(file, t.CacheFile);
            Assert.Equal(new long[] { 49, 12 }, t.InputShape);
        }
        File.WriteAllBytes(file, new byte[] { 1, 2, 3 });
        using (var d = SpeechCommands.Load(root, options))
        {
            var t = (SpeechCommandsBatchSource)d.Test;
            Assert.False(t.LoadedFromCache);
            Assert.Equal(first, Collect(t, 0).SelectMany(x => x.x).ToArray());
        }
        // A changed input file changes the key.
        string clip = Path.Combine(root, SpeechCommandsFixtures.ClipPath("yes", 0));
        WavFixtures.Write(clip, WavFixtures.Tone(1234, 16000, 0.4));
        File.SetLastWriteTimeUtc(clip, DateTime.UtcNow.AddMinutes(5));
        using (var e = SpeechCommands.Load(root, options))
        {
            var t = (SpeechCommandsBatchSource)e.Test;
            Assert.False(t.LoadedFromCache);
            Assert.NotEqual(file, t.CacheFile);
        }
    }

    [Fact]
    public void TrainingAugmentationIsSeededPerEpoch()
    {
        var (root, cache) = MakeFixture();
        var options = new SpeechCommandsOptions { FeatureCacheDirectory = cache, Seed = 8, BatchSize = 5 };
        using var splits = SpeechCommands.Load(root, options);
        Assert.True(((SpeechCommandsBatchSource)splits.Train).Augmented);
        var e0 = Collect(splits.Train, 0);
        Assert.Equal(4, e0.Count);
        Assert.All(e0.Take(3), b => Assert.Equal(5 * 490, b.x.Length));
        Assert.Equal(e0.Select(b => b.x), Collect(splits.Train, 0).Select(b => b.x));
        Assert.NotEqual(e0.Select(b => b.x), Collect(splits.Train, 1).Select(b => b.x));
        using var plain = SpeechCommands.Load(root, options with { TrainAugmentation = null });
        Assert.False(((SpeechCommandsBatchSource)plain.Train).Augmented);
        var p0 = Collect(plain.Train, 0);
        // Same shuffle (same seed and epoch), different features (shift and noise).
        Assert.Equal(e0.Select(b => b.y), p0.Select(b => b.y));
        Assert.NotEqual(e0.Select(b => b.x), p0.Select(b => b.x));
    }

    [Fact]
    public void ShiftMatchesTheScalarDefinition()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var clips = arange(1, 21, dtype: float32).reshape(2, 10);
        var shifted = SpeechAugmentation.Shift(clips, tensor(new long[] { 3, -4 })).data<float>().ToArray();
        var expected = new float[20];
        var src = clips.data<float>().ToArray();
        int[] shifts = { 3, -4 };
        for (int b = 0; b < 2; b++)
        for (int t = 0; t < 10; t++)
        {
            int s = t - shifts[b];
            expected[b * 10 + t] = s >= 0 && s < 10 ? src[b * 10 + s] : 0;
        }
        Assert.Equal(expected, shifted);
    }

    [Fact]
    public void NoiseCropsComeFromTheChosenRecordingAndStayInside()
    {
        var dir = TestPaths.NewTempDir();
        var a = WavFixtures.Noise(3000, 0.5, 1);
        var b = WavFixtures.Tone(100, 2000, 0.5);
        WavFixtures.Write(Path.Combine(dir, "a.wav"), a);
        WavFixtures.Write(Path.Combine(dir, "b.wav"), b);
        using var noise = BackgroundNoise.Load(new[] { Path.Combine(dir, "a.wav"), Path.Combine(dir, "b.wav") }, 16000, 1000);
        using var scope = NewDisposeScope();
        // choice 0.2 → recording 0; 0.7 → recording 1; offsets 0, 0.9999 (last valid), 0.5
        var crops = noise.Crops(tensor(new[] { 0.2, 0.7, 0.7 }), tensor(new[] { 0.0, 0.9999, 0.5 }), 1000).data<float>().ToArray();
        Assert.Equal(a.Take(1000).Select(s => s / 32768f), crops.Take(1000));
        Assert.Equal(b.Skip(1000).Take(1000).Select(s => s / 32768f), crops.Skip(1000).Take(1000));   // ⌊0.9999·1001⌋ = 1000
        Assert.Equal(b.Skip(500).Take(1000).Select(s => s / 32768f), crops.Skip(2000).Take(1000));    // ⌊0.5·1001⌋ = 500
    }

    [Fact]
    public void EvaluationAugmentationLeavesWordsAloneAndBoundsSilenceNoise()
    {
        var dir = TestPaths.NewTempDir();
        WavFixtures.Write(Path.Combine(dir, "n.wav"), WavFixtures.Noise(5000, 0.9, 4));
        using var noise = BackgroundNoise.Load(new[] { Path.Combine(dir, "n.wav") }, 16000, 1000);
        using var scope = NewDisposeScope();
        var clips = full(4, 1000, 0.95f);
        using var gen = new Generator(11, CPU);
        var outp = SpeechAugmentation.EvaluationSilenceOnly.Apply(clips, tensor(new[] { false, true, false, true }), noise, gen);
        Assert.True(outp[0].allclose(clips[0]) && outp[2].allclose(clips[2]));
        Assert.True(outp.le(1f).all().item<bool>());
        Assert.False(outp[1].allclose(clips[1]));
    }

    [Fact]
    public void CorruptClipIsReportedByPath()
    {
        var (root, cache) = MakeFixture();
        string clip = Path.Combine(root, SpeechCommandsFixtures.ClipPath("no", 0));
        File.WriteAllBytes(clip, File.ReadAllBytes(clip)[..100]);
        var e = Assert.Throws<InvalidDataException>(() => SpeechCommands.Load(root, new SpeechCommandsOptions { FeatureCacheDirectory = cache }));
        Assert.Contains(clip, e.Message);
    }

    [Fact]
    public void ListsNamingMissingClipsRandomBytesOrNothingAreRefusedUpFront()
    {
        var (root, cache) = MakeFixture();
        string val = Path.Combine(root, "validation_list.txt"), test = Path.Combine(root, "testing_list.txt");
        string goodVal = File.ReadAllText(val);

        File.AppendAllText(val, "yes/ffffffff_nohash_9.wav\n");
        var e = Assert.Throws<InvalidDataException>(() => SpeechCommands.Load(root, new SpeechCommandsOptions { FeatureCacheDirectory = cache }));
        Assert.Contains($"{val} line 7: 'yes/ffffffff_nohash_9.wav' names a clip that does not exist", e.Message);

        var noise = new byte[4096];
        new Random(5).NextBytes(noise);
        File.WriteAllBytes(val, noise);
        e = Assert.Throws<InvalidDataException>(() => SpeechCommandsLayout.Scan(root));
        Assert.Contains($"{val} line ", e.Message);
        Assert.Contains("is not a clip path", e.Message);

        File.WriteAllText(val, goodVal);
        File.WriteAllText(test, "\n  \n");
        e = Assert.Throws<InvalidDataException>(() => SpeechCommandsLayout.Scan(root));
        Assert.Contains($"{test} lists no clips", e.Message);
    }

    [Fact]
    public void ABrokenTrainingClipIsReportedAtLoadNotMidTraining()
    {
        var (root, cache) = MakeFixture();
        // a training clip (speaker 3) whose LIST chunk declares 2^31 bytes: augmented training reads it lazily
        string clip = Path.Combine(root, SpeechCommandsFixtures.ClipPath("up", 3));
        WavFixtures.Write(clip, WavFixtures.Tone(500, 16000), new WavFixtures.WavSpec { ListChunkBeforeData = true, DeclaredListSize = 0x80000000 });
        var e = Assert.Throws<InvalidDataException>(() => SpeechCommands.Load(root, new SpeechCommandsOptions { FeatureCacheDirectory = cache }));
        Assert.Contains(clip, e.Message);
        Assert.Contains("declares 2147483648 bytes", e.Message);
    }
}
