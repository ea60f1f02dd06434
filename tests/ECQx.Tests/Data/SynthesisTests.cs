using ECQx.Data;
using ECQx.Data.Cifar;
using ECQx.Data.StandIn;
using ECQx.Data.Synthesis;
using ECQx.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

/// <summary>
/// Batch-norm statistics inversion on tiny cases: the statistics term against a hand computation, the loss falling, repeatability,
/// labels = the model's predictions, the CIFAR-10 binary files and the marker.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class SynthesisTests
{
    private static readonly InversionOptions Tiny = new() { Iterations = 6, BatchSize = 8, ReportEvery = 1 };

    private static nn.Module<Tensor, Tensor> PretrainedResNet20()
    {
        var model = ModelZoo.Create("resnet20", 10, CPU, 0);
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.eval();
        return model;
    }

    [Fact]
    public void DistanceIsTheNormOfTheMeanAndBiasedVarianceGapsPerChannel()
    {
        using var scope = NewDisposeScope();
        var bn = nn.BatchNorm2d(2);
        bn.running_mean!.copy_(tensor(new float[] { 1, -1 }));
        bn.running_var!.copy_(tensor(new float[] { 4, 1 }));
        // Channel 0 holds 0 and 2 (mean 1, biased variance 1), channel 1 holds 3 and 3 (mean 3, variance 0).
        var x = tensor(new float[] { 0, 3, 2, 3 }).reshape(2, 2, 1, 1);
        double expected = Math.Sqrt(0 * 0 + 4 * 4) + Math.Sqrt(3 * 3 + 1 * 1);
        Assert.Equal(expected, BatchNormStatistics.Distance(bn, x).item<float>(), 5);
    }

    [Fact]
    public void ForwardMeetsEveryBatchNormOfResNet20AndReturnsTheModelsOutput()
    {
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet20();
        var x = randn(4, 3, 32, 32, generator: new Generator(1));
        var (output, distances) = BatchNormStatistics.Forward(model, x);
        Assert.Equal(19, distances.Count);                                 // bn1 + two per block × nine blocks
        using var noGrad = no_grad();
        Assert.True(TensorAssert.MaxAbsDiff(model.call(x), output) < 1e-5);
        model.train();
        Assert.Throws<InvalidOperationException>(() => BatchNormStatistics.Forward(model, x));
    }

    [Fact]
    public void TheStatisticsDistanceFallsAndTheRunRepeatsBitForBit()
    {
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet20();
        var targets = arange(8, dtype: int64).remainder(10);
        var steps = new List<InversionProgress>();
        var a = BatchNormInversion.Synthesize(model, targets, [3, 32, 32], ImageNormalization.Cifar10, Tiny, 7, new Collect(steps));
        var b = BatchNormInversion.Synthesize(model, targets, [3, 32, 32], ImageNormalization.Cifar10, Tiny, 7);
        var c = BatchNormInversion.Synthesize(model, targets, [3, 32, 32], ImageNormalization.Cifar10, Tiny, 8);
        Assert.Equal(Tiny.Iterations, steps.Count);
        Assert.True(steps[^1].BatchNormDistance < 0.8 * steps[0].BatchNormDistance,
            $"BN distance {steps[0].BatchNormDistance} → {steps[^1].BatchNormDistance}");
        Assert.Equal(new long[] { 8, 3, 32, 32 }, a.shape);
        Assert.True(a.min().item<float>() >= 0 && a.max().item<float>() <= 1);
        Assert.True(TensorAssert.Same(a, b), "same seed, same images");
        Assert.False(TensorAssert.Same(a, c), "another seed, other images");
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));   // left as found
    }

    [Fact]
    public void WrittenSetLoadsWithCifar10LoadLabelledByTheModelsPredictionsWithAMarker()
    {
        string root = TestPaths.NewTempDir();
        var options = new SynthesizedCifar10Options { TestCount = 6, TrainCount = 10, Seed = 3, Inversion = Tiny };
        var reports = new List<SynthesisProgress>();
        string dir = SynthesizedCifar10.Write(root, TestPaths.PretrainedResNet20, options, new Collect<SynthesisProgress>(reports));
        Assert.Equal(2 * Tiny.Iterations, reports.Count(r => r.Step is not null));   // 16 images in two batches of 8
        Assert.True(StandInData.IsStandIn(dir));
        Assert.True(SynthesizedCifar10.IsSynthesized(dir));
        string marker = SynthesizedCifar10.MarkerText(dir)!;
        Assert.Contains("resnet20-cifar10.safetensors", marker);
        Assert.Contains("seed: 3", marker);
        Assert.Contains("10 train / 6 test", marker);
        Assert.Contains(Tiny.Describe(), marker);
        Assert.Empty(Directory.EnumerateDirectories(root, ".*"));          // staging and temporary folders are gone

        using var splits = Cifar10.Load(dir, new Cifar10Options { BatchSize = 16, TrainAugmentation = null });
        Assert.Equal(10, splits.Train.Count);
        Assert.Equal(6, splits.Test.Count);
        using var model = PretrainedResNet20();
        foreach (var split in new[] { splits.Train, splits.Test })
            foreach (var (x, y) in split.Batches(0))
            {
                using var noGrad = no_grad();
                Assert.Equal(y.data<long>().ToArray(), model.call(x).argmax(1).data<long>().ToArray());   // agreement 100 % by construction
            }

        // A second call with the same options finds the finished set and leaves it alone.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, Cifar10Binary.TestFile));
        var again = new List<SynthesisProgress>();
        Assert.Equal(dir, SynthesizedCifar10.Write(root, TestPaths.PretrainedResNet20, options, new Collect<SynthesisProgress>(again)));
        Assert.Empty(again);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, Cifar10Binary.TestFile)));
        Assert.False(SynthesizedCifar10.IsSynthesized(Cifar10StandIn.Write(TestPaths.NewTempDir(), trainCount: 5, testCount: 2)));
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (Tiny with { BatchSize = 1 }).Validate());
        Assert.Equal("BatchSize", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => (Tiny with { TotalVariationWeight = double.NaN }).Validate());
        Assert.Equal("TotalVariationWeight", e.ParamName);
        Assert.Throws<FileNotFoundException>(() => SynthesizedCifar10.Write(TestPaths.NewTempDir(), "/nonexistent/weights.safetensors"));
    }

    [Fact]
    public void ACancelledSynthesisStopsAndLeavesNoDataSet()
    {
        string root = TestPaths.NewTempDir();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SynthesizedCifar10.Write(root, TestPaths.PretrainedResNet20,
            new SynthesizedCifar10Options { TestCount = 4, TrainCount = 5, Inversion = Tiny, Workers = 2 }, cancellation: cancelled.Token));
        Assert.False(StandInData.IsStandIn(root));
        Assert.False(Directory.Exists(Path.Combine(root, Cifar10Binary.ArchiveDirectory)));
    }

    private sealed class Collect(List<InversionProgress> into) : IProgress<InversionProgress>
    {
        public void Report(InversionProgress value) => into.Add(value);
    }

    private sealed class Collect<T>(List<T> into) : IProgress<T>
    {
        public void Report(T value) => into.Add(value);
    }
}
