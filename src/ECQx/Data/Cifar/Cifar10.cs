using TorchSharp;

namespace ECQx.Data.Cifar;

/// <summary>Options for <see cref="Cifar10.Load"/>.</summary>
public sealed record Cifar10Options
{
    /// <summary>Batch size of both splits (spec §c.1: 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed for shuffling and augmentation.</summary>
    public ulong Seed { get; init; }

    /// <summary>Device of the yielded batches (CPU when null).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Drop the last incomplete training batch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Training augmentation (spec §c.1 by default); null disables it.</summary>
    public ImageAugmentation? TrainAugmentation { get; init; } = ImageAugmentation.Cifar10Train;

    /// <summary>Normalisation of both splits (spec §c.1 constants by default).</summary>
    public ImageNormalization Normalization { get; init; } = ImageNormalization.Cifar10;

    /// <summary>Read only the first N training records (all when null): for quick runs.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Read only the first N test records (all when null).</summary>
    public int? TestLimit { get; init; }
}

/// <summary>
/// CIFAR-10 as in the reference training setup (spec §c.1): the full 50,000-image training set (no validation
/// split), shuffled and augmented (flip p=0.5, 4-pixel zero-pad random crop, normalisation), and the 10,000-image
/// test set (normalisation only).
/// </summary>
public static class Cifar10
{
    /// <summary>
    /// Loads the binary batches from <paramref name="directory"/> (the extracted archive root or its
    /// <c>cifar-10-batches-bin</c> folder). Use <see cref="Download.DatasetStore"/> to obtain that directory.
    /// </summary>
    public static DatasetSplits Load(string directory, Cifar10Options? options = null)
    {
        options ??= new Cifar10Options();
        string dir = Cifar10Binary.ResolveBatchDirectory(directory);
        var (trainX, trainY) = Cifar10Binary.ReadFiles(Cifar10Binary.TrainFiles.Select(f => Path.Combine(dir, f)), options.TrainLimit);
        var (testX, testY) = Cifar10Binary.ReadFiles(new[] { Path.Combine(dir, Cifar10Binary.TestFile) }, options.TestLimit);
        string fingerprint = DataFingerprint.Of(("train.images", trainX), ("train.labels", trainY), ("test.images", testX), ("test.labels", testY));
        var train = new ImageBatchSource(trainX, trainY, Cifar10Binary.ClassNames, options.Normalization, options.TrainAugmentation,
            new BatchOptions { BatchSize = options.BatchSize, Shuffle = true, DropLast = options.DropLast, Seed = options.Seed, Device = options.Device });
        var test = new ImageBatchSource(testX, testY, Cifar10Binary.ClassNames, options.Normalization, null,
            new BatchOptions { BatchSize = options.BatchSize, Shuffle = false, Seed = options.Seed, Device = options.Device });
        return new DatasetSplits("cifar10", train, test) { Fingerprint = fingerprint };
    }
}
