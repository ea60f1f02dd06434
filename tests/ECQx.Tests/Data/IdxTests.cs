using System.IO.Compression;
using System.Security.Cryptography;
using ECQx.Data;
using ECQx.Data.Idx;
using ECQx.Tests.Fixtures;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Data;

public class IdxTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadsWhatTheFixtureWriterWrote(bool gzip)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), gzip ? "x.gz" : "x");
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 9)).ToArray();
        IdxFixtures.Write(path, new[] { 2, 3, 4 }, data, gzip);
        var idx = IdxFile.Read(path);
        Assert.Equal(new[] { 2, 3, 4 }, idx.Shape);
        Assert.Equal(data, idx.Data);
    }

    [Fact]
    public void LibraryWriterRoundTripsThroughTheReader()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "y.gz");
        var data = Enumerable.Range(0, 300).Select(i => (byte)(255 - i % 256)).ToArray();
        IdxFile.Write(path, new[] { 300 }, data, gzip: true);
        Assert.Equal(data, IdxFile.Read(path).Data);
        Assert.Equal(0x1F, File.ReadAllBytes(path)[0]);
    }

    [Theory]
    [InlineData("magic", "00 00")]
    [InlineData("type", "0x0D")]
    [InlineData("truncated", "truncated")]
    [InlineData("trailing", "trailing")]
    [InlineData("zero-dim", "size 0")]
    [InlineData("badgzip", "gzip")]
    public void MalformedFilesAreReportedWithPathAndReason(string kind, string expected)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), kind);
        var good = new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 10, 20, 30 };
        byte[] bytes = kind switch
        {
            "magic" => new byte[] { 1, 2, 8, 1, 0, 0, 0, 3, 10, 20, 30 },
            "type" => new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 3, 10, 20, 30 },
            "truncated" => good[..^1],
            "trailing" => good.Append((byte)1).ToArray(),
            "zero-dim" => new byte[] { 0, 0, 8, 1, 0, 0, 0, 0 },
            _ => new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF },
        };
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void LoaderGivesNormalisedBatchesOfTheRightShapeAndMismatchesAreCaught()
    {
        string dir = TestPaths.NewTempDir();
        IdxFixtures.MakeImageDataset(dir, trainCount: 30, testCount: 7, gzip: false);
        var options = new IdxImageOptions { BatchSize = 8, Normalization = ImageNormalization.UnitRange(1), Seed = 4 };
        using (var splits = FashionMnist.Load(dir, options))
        {
            Assert.Equal(new long[] { 1, 28, 28 }, splits.Train.InputShape);
            Assert.Equal(4, splits.Train.BatchesPerEpoch);
            var (x, y) = splits.Test.Batches(0).First();
            using (x)
            using (y)
            {
                Assert.Equal(new long[] { 7, 1, 28, 28 }, x.shape);
                var px = x.data<float>().ToArray();
                var lab = y.data<long>().ToArray();
                for (int i = 0; i < 7; i++)
                {
                    Assert.Equal((i * 3 + 1) % 10, lab[i]);
                    Assert.Equal(IdxFixtures.Pixel(i, 5, 6) / 255f, px[i * 784 + 5 * 28 + 6], 6);
                }
            }
            var trainLabels = splits.Train.Batches(0).SelectMany(b => { using (b.inputs) using (b.labels) return b.labels.data<long>().ToArray(); }).ToList();
            Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)(i * 3 % 10)).OrderBy(v => v), trainLabels.OrderBy(v => v));
        }

        IdxFixtures.Write(Path.Combine(dir, "t10k-labels-idx1-ubyte"), new[] { 6 }, new byte[6], gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, options));
        Assert.Contains("7 images", e.Message);
        Assert.Contains("6 labels", e.Message);
    }
}

/// <summary>The bundled Fashion-MNIST sample: contents, balance, and provenance.</summary>
public class FashionMnistSampleTests
{
    private static readonly Dictionary<string, string> DecompressedSha256 = new()
    {
        ["train-images-idx3-ubyte.gz"] = "d33512cfdc636a0d8972818e6659995be209a88891df7fa2109d7895922c8985",
        ["train-labels-idx1-ubyte.gz"] = "620cb8e3b9348037c5ff9a07b02d773ab165330e072dfd19e0d21c59f8042dcf",
        ["t10k-images-idx3-ubyte.gz"] = "15a92dd1e9b16ea361928086e77df4dfa890c255c00b5a8c8162c1040ce8eef1",
        ["t10k-labels-idx1-ubyte.gz"] = "234596aeb6eb48133ec99a62541f90bc0728c9559a681f1e0638037462458f2c",
    };

    private static string SampleDir() =>
        FashionMnist.FindBundledSample() ?? throw new DirectoryNotFoundException("bundled sample not found above the test assembly");

    [Fact]
    public void TheDataIdentityFollowsTheContentNotTheFileEncoding()
    {
        string dir = TestPaths.NewTempDir(), raw = TestPaths.NewTempDir();
        var images = Enumerable.Range(0, 40 * 28 * 28).Select(i => (byte)(i * 13 % 256)).ToArray();
        var labels = Enumerable.Range(0, 40).Select(i => (byte)(i % 10)).ToArray();
        foreach (var (folder, gzip) in new[] { (dir, true), (raw, false) })
            foreach (string prefix in new[] { "train", "t10k" })
            {
                string ext = gzip ? ".gz" : "";
                IdxFixtures.Write(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}"), new[] { 40, 28, 28 }, images, gzip);
                IdxFixtures.Write(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}"), new[] { 40 }, labels, gzip);
            }
        SortedDictionary<string, string> Identity(string folder)
        {
            using var splits = FashionMnist.Load(folder, new IdxImageOptions { BatchSize = 8 });
            return splits.Identity();
        }
        var gz = Identity(dir);
        Assert.Equal(gz, Identity(raw)); // gzip or raw: the same examples
        Assert.Equal(("fashion-mnist", "40", "40", "none", "10", "[1, 28, 28]"),
            (gz["data.name"], gz["data.train"], gz["data.test"], gz["data.validation"], gz["data.classes"], gz["data.inputShape"]));
        Assert.Matches("^sha256:[0-9a-f]{16}$", gz["data.content"]);

        labels[39] = 3; // one training label
        IdxFixtures.Write(Path.Combine(raw, "train-labels-idx1-ubyte"), new[] { 40 }, labels, gzip: false);
        var changed = Identity(raw);
        Assert.NotEqual(gz["data.content"], changed["data.content"]);
        Assert.Equal(gz.Where(kv => kv.Key != "data.content"), changed.Where(kv => kv.Key != "data.content"));
    }

    [Fact]
    public void SampleIsBalancedAndLoadsAsNormalisedBatches()
    {
        string dir = SampleDir();
        var trainLabels = IdxFile.Read(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var testLabels = IdxFile.Read(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(new[] { 10000 }, trainLabels.Shape);
        Assert.Equal(new[] { 2000 }, testLabels.Shape);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, trainLabels.Data.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(200, testLabels.Data.Count(l => l == c)));
        long total = Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length);
        Assert.True(total < 6_000_000, $"bundled sample is {total} bytes");

        using var splits = FashionMnist.LoadBundledSample(new IdxImageOptions { BatchSize = 500 });
        Assert.Equal(10000, splits.Train.Count);
        Assert.Equal(2000, splits.Test.Count);
        Assert.Equal("T-shirt/top", splits.Train.ClassNames[0]);
        double sum = 0, sumSq = 0;
        long n = 0;
        foreach (var (x, y) in splits.Test.Batches(0))
        {
            using (x)
            using (y)
            {
                sum += x.sum().item<float>();
                sumSq += x.square().sum().item<float>();
                n += x.numel();
            }
        }
        double mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        // normalised with the full training set's statistics: the sample's own are close to them
        Assert.InRange(mean, -0.1, 0.1);
        Assert.InRange(std, 0.9, 1.1);
    }

    [Fact]
    public void CommittedFilesHaveTheRecordedContent()
    {
        string dir = SampleDir();
        foreach (var (file, sha) in DecompressedSha256)
        {
            using var gz = new GZipStream(File.OpenRead(Path.Combine(dir, file)), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(ms.ToArray())));
        }
    }

    [DebianFashionMnistFact]
    public void SubsetIsTheFirstNPerClassOfTheDebianFiles()
    {
        const string debian = DebianFashionMnistFactAttribute.Directory;
        string dir = SampleDir();
        foreach (var (prefix, perClass) in new[] { ("train", 1000), ("t10k", 200) })
        {
            var srcImages = IdxFile.Read(Path.Combine(debian, $"{prefix}-images-idx3-ubyte.gz"));
            var srcLabels = IdxFile.Read(Path.Combine(debian, $"{prefix}-labels-idx1-ubyte.gz"));
            var counts = new int[10];
            var kept = new List<int>();
            for (int i = 0; i < srcLabels.Data.Length; i++)
                if (counts[srcLabels.Data[i]]++ < perClass) kept.Add(i);
            var images = IdxFile.Read(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"));
            var labels = IdxFile.Read(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"));
            Assert.Equal(kept.Select(i => srcLabels.Data[i]), labels.Data);
            Assert.Equal(kept.SelectMany(i => srcImages.Data.Skip(i * 784).Take(784)), images.Data);
        }
    }
}

/// <summary>A fact that needs Debian's <c>dataset-fashion-mnist</c> package; skipped, with the reason shown, without it.</summary>
public sealed class DebianFashionMnistFactAttribute : FactAttribute
{
    /// <summary>Where the package installs the IDX files.</summary>
    public const string Directory = "/usr/share/datasets/fashion-mnist";

    public DebianFashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(Directory, "train-labels-idx1-ubyte.gz")))
            Skip = $"Debian's dataset-fashion-mnist is not installed ({Directory}); the re-derivation of data/fashion-mnist-sample is skipped (CommittedFilesHaveTheRecordedContent still pins its content).";
    }
}
