using ECQx.Data;
using ECQx.Data.Cifar;
using ECQx.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

public class Cifar10Tests
{
    [Fact]
    public void ReaderKeepsTheChannelMajorLayoutAndLabels()
    {
        string root = TestPaths.NewTempDir();
        string dir = CifarFixtures.MakeDataset(root, perTrainFile: 3, testCount: 4);
        var (images, labels) = Cifar10Binary.ReadFiles(Cifar10Binary.TrainFiles.Select(f => Path.Combine(dir, f)));
        using (images)
        using (labels)
        {
            Assert.Equal(new long[] { 15, 3, 32, 32 }, images.shape);
            Assert.Equal(ScalarType.Byte, images.dtype);
            var px = images.data<byte>().ToArray();
            var lab = labels.data<long>().ToArray();
            for (int i = 0; i < 15; i++)
            {
                Assert.Equal(CifarFixtures.Label(i), lab[i]);
                for (int ch = 0; ch < 3; ch++)
                foreach (var (y, x) in new[] { (0, 0), (0, 31), (31, 0), (17, 5) })
                    Assert.Equal(CifarFixtures.Pixel(i, ch, y, x), px[((i * 3 + ch) * 32 + y) * 32 + x]);
            }
        }
    }

    [Fact]
    public void TestSplitIsNormalisedOnlyAndKeepsFileOrder()
    {
        string root = TestPaths.NewTempDir();
        CifarFixtures.MakeDataset(root, perTrainFile: 2, testCount: 5);
        using var splits = Cifar10.Load(root, new Cifar10Options { BatchSize = 2, Seed = 1 });
        Assert.Null(splits.Validation);
        Assert.Equal(10, splits.Train.Count);
        Assert.Equal(5, splits.Test.Count);
        Assert.Equal(10, splits.Test.NumClasses);
        Assert.Equal(new long[] { 3, 32, 32 }, splits.Test.InputShape);
        Assert.Equal(3, splits.Test.BatchesPerEpoch);

        var mean = new[] { 125.3, 123.0, 113.9 };
        var std = new[] { 63.0, 62.1, 66.7 };
        int index = 0;
        foreach (var (x, y) in splits.Test.Batches(0))
        {
            using (x)
            using (y)
            {
                var data = x.data<float>().ToArray();
                var lab = y.data<long>().ToArray();
                for (int b = 0; b < lab.Length; b++, index++)
                {
                    Assert.Equal(CifarFixtures.Label(1000 + index), lab[b]);
                    for (int ch = 0; ch < 3; ch++)
                    {
                        double pixel = data[((b * 3 + ch) * 32 + 7) * 32 + 9] * std[ch] + mean[ch];
                        Assert.Equal(CifarFixtures.Pixel(1000 + index, ch, 7, 9), pixel, 2);
                    }
                }
            }
        }
        Assert.Equal(5, index);
    }

    [Fact]
    public void TrainSplitIsShuffledAugmentedAndDropsLastOnRequest()
    {
        string root = TestPaths.NewTempDir();
        CifarFixtures.MakeDataset(root, perTrainFile: 4, testCount: 2);
        using var splits = Cifar10.Load(root, new Cifar10Options { BatchSize = 6, Seed = 3, DropLast = true });
        var batches = splits.Train.Batches(0).ToList();
        try
        {
            Assert.Equal(3, batches.Count);
            Assert.Equal(3, splits.Train.BatchesPerEpoch);
            Assert.All(batches, b => Assert.Equal(new long[] { 6, 3, 32, 32 }, b.inputs.shape));
            var labels = batches.SelectMany(b => b.labels.data<long>().ToArray()).ToArray();
            Assert.NotEqual(Enumerable.Range(0, 18).Select(i => (long)CifarFixtures.Label(i)), labels);
            // zero padding in pixel space shows up as the normalised value of pixel 0 somewhere in the batch
            float zeroRed = (float)(-125.3 / 63.0);
            Assert.Contains(batches, b => b.inputs[.., 0].eq(zeroRed).any().item<bool>());
        }
        finally
        {
            foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
        }
    }

    [Fact]
    public void TrainLimitReadsOnlyTheFirstRecords()
    {
        string root = TestPaths.NewTempDir();
        CifarFixtures.MakeDataset(root, perTrainFile: 4, testCount: 3);
        using var splits = Cifar10.Load(root, new Cifar10Options { TrainLimit = 6, TestLimit = 2 });
        Assert.Equal(6, splits.Train.Count);
        Assert.Equal(2, splits.Test.Count);
        var labels = ((ImageBatchSource)splits.Train).Labels.data<long>().ToArray();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)CifarFixtures.Label(i)), labels);
    }

    [Fact]
    public void MalformedBatchFilesAreReportedByName()
    {
        string root = TestPaths.NewTempDir();
        string dir = CifarFixtures.MakeDataset(root, perTrainFile: 1, testCount: 1);
        string truncated = Path.Combine(dir, "data_batch_3.bin");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..3000]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(root));
        Assert.Contains(truncated, e.Message);

        string badLabel = Path.Combine(TestPaths.NewTempDir(), "b.bin");
        var rec = CifarFixtures.Record(0);
        rec[0] = 57;
        File.WriteAllBytes(badLabel, rec);
        var e2 = Assert.Throws<InvalidDataException>(() => Cifar10Binary.ReadFiles(new[] { badLabel }));
        Assert.Contains(badLabel, e2.Message);
        Assert.Contains("57", e2.Message);

        var e3 = Assert.Throws<DirectoryNotFoundException>(() => Cifar10.Load(TestPaths.NewTempDir()));
        Assert.Contains("data_batch_1.bin", e3.Message);
    }
}
