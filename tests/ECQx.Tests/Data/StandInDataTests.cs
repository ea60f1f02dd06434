using ECQx.Data.Cifar;
using ECQx.Data.Speech;
using ECQx.Data.StandIn;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

/// <summary>The synthetic stand-ins are read by the real loaders, carry their marker, and encode their classes as documented.</summary>
public sealed class StandInDataTests
{
    [Fact]
    public void WavWriterOutputReadsBackSampleForSample()
    {
        short[] samples = [0, 1, -1, short.MaxValue, short.MinValue, 12345, -54321 % 32768];
        string path = Path.Combine(TestPaths.NewTempDir(), "x.wav");
        WavWriter.Write(path, samples, 8000);
        Assert.Equal(samples, WavReader.ReadPcm16Mono(path, 8000));
        Assert.Equal(44 + 2 * samples.Length, new FileInfo(path).Length);
    }

    [Fact]
    public void SpeechCommandsStandInLoadsAsTheTwelveClassTaskWithTheDocumentedSplit()
    {
        string root = SpeechCommandsStandIn.Write(Path.Combine(TestPaths.NewTempDir(), "gsc"), seed: 5, clipsPerWord: 12);
        Assert.True(StandInData.IsStandIn(root));
        var layout = SpeechCommandsLayout.Scan(root);
        Assert.Equal(12, layout.Words.Count);                              // ten keywords + two unknown words
        Assert.Equal(12 * 2, layout.Test.Count);                           // clips 0 and 6 of each word
        Assert.Equal(12 * 2, layout.Validation.Count);
        Assert.Equal(12 * 8, layout.Train.Count);
        using var splits = SpeechCommands.Load(root, new SpeechCommandsOptions { BatchSize = 16, Seed = 5, TrainAugmentation = null });
        var train = (SpeechCommandsBatchSource)splits.Train;
        Assert.Equal(12, train.NumClasses);
        Assert.All(Enumerable.Range(0, 12), k => Assert.Contains(train.Examples, e => e.Label == k));
        Assert.Equal(new long[] { 49, 10 }, train.InputShape);
    }

    [Fact]
    public void EachSpeechCommandsStandInWordPeaksAtItsLowFormant()
    {
        string root = SpeechCommandsStandIn.Write(Path.Combine(TestPaths.NewTempDir(), "gsc"), seed: 9, clipsPerWord: 6);
        var words = SpeechCommandsClasses.Keywords.Concat(SpeechCommandsStandIn.UnknownWords).ToList();
        for (int w = 0; w < words.Count; w++)
        {
            string file = Directory.EnumerateFiles(Path.Combine(root, words[w]), "*.wav").First();
            using var scope = NewDisposeScope();
            var x = tensor(WavReader.ReadPcm16Mono(file).Select(s => (float)s).ToArray());
            long peakBin = fft.rfft(x).abs().argmax().item<long>();
            double peakHz = peakBin * (double)SpeechCommandsStandIn.SampleRate / x.shape[0];
            double expected = SpeechCommandsStandIn.Formants(w).Low;
            Assert.InRange(peakHz, expected * 0.95, expected * 1.05);     // ±4 % pitch jitter
        }
    }

    [Fact]
    public void SpeechCommandsStandInIsDeterministicAndNotRewritten()
    {
        string a = SpeechCommandsStandIn.Write(Path.Combine(TestPaths.NewTempDir(), "a"), seed: 3, clipsPerWord: 6);
        string b = SpeechCommandsStandIn.Write(Path.Combine(TestPaths.NewTempDir(), "b"), seed: 3, clipsPerWord: 6);
        var files = Directory.EnumerateFiles(a, "*.wav", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToList();
        Assert.Equal(files, Directory.EnumerateFiles(b, "*.wav", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order());
        Assert.All(files, f => Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f))));
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(a, files[0]));
        SpeechCommandsStandIn.Write(a, seed: 3, clipsPerWord: 6);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(a, files[0])));
    }

    [Fact]
    public void Cifar10StandInLoadsWithTheRealLoaderAndCyclesThroughTheClasses()
    {
        string root = TestPaths.NewTempDir();
        string dir = Cifar10StandIn.Write(root, seed: 4, trainCount: 53, testCount: 20);
        Assert.True(StandInData.IsStandIn(dir));
        Assert.False(StandInData.IsStandIn(TestPaths.NewTempDir()));
        var (_, trainLabels) = Cifar10Binary.ReadFiles(Cifar10Binary.TrainFiles.Select(f => Path.Combine(dir, f)));
        Assert.Equal(Enumerable.Range(0, 53).Select(i => (long)(i % 10)), trainLabels.data<long>().ToArray());
        using var splits = Cifar10.Load(dir, new Cifar10Options { BatchSize = 8 });
        Assert.Equal(53, splits.Train.Count);
        Assert.Equal(20, splits.Test.Count);
    }

    [Fact]
    public void Cifar10StandInClassesDifferInColour()
    {
        using var gen = new Generator(11);
        using var labels = arange(10, dtype: int64).repeat(20);
        using var images = Cifar10StandIn.Images(labels, gen);
        Assert.Equal(new long[] { 200, 3, 32, 32 }, images.shape);
        Assert.True(images.min().item<float>() >= 0 && images.max().item<float>() <= 1);
        // The mean colour of a class is closer to its own class mean than to any other class's (nearest-centroid on RGB).
        using var colour = images.mean(new long[] { 2, 3 });                 // [200, 3]
        using var centroids = stack(Enumerable.Range(0, 10).Select(k => colour[labels.eq(k)].mean(new long[] { 0 })).ToArray());
        using var nearest = cdist(colour, centroids).argmin(1);
        Assert.True(nearest.eq(labels).to_type(float32).mean().item<float>() > 0.9f);
    }
}
