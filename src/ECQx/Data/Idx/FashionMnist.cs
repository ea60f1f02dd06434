using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.Idx;

/// <summary>Options for <see cref="FashionMnist"/> loaders.</summary>
public sealed record IdxImageOptions
{
    /// <summary>Batch size of both splits.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed for shuffling the training split.</summary>
    public ulong Seed { get; init; }

    /// <summary>Device of the yielded batches (CPU when null).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Drop the last incomplete training batch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Normalisation; Fashion-MNIST training statistics by default.</summary>
    public ImageNormalization Normalization { get; init; } = ImageNormalization.FashionMnist;

    /// <summary>Optional training augmentation (none by default).</summary>
    public ImageAugmentation? TrainAugmentation { get; init; }

    /// <summary>Class names; the Fashion-MNIST names by default (use <see cref="FashionMnist.MnistClassNames"/> for MNIST).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = FashionMnist.ClassNames;
}

/// <summary>
/// Fashion-MNIST (and MNIST, which shares the file format and names): 28×28 grey images in IDX files
/// <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-images-idx3-ubyte[.gz]</c>,
/// <c>t10k-labels-idx1-ubyte[.gz]</c>. Batches are float32 <c>[B, 1, 28, 28]</c>, normalised, with int64 labels.
/// The repository bundles a class-balanced real subset (10,000 train / 2,000 test, MIT licence) in
/// <c>data/fashion-mnist-sample/</c>, shipped with the tool and the package: the offline default dataset.
/// </summary>
public static class FashionMnist
{
    /// <summary>A file that only a complete copy of the bundled sample has (an empty folder of that name does not count).</summary>
    private const string BundledTrainImages = BundledFiles.FashionMnistSample + "/train-images-idx3-ubyte.gz";

    /// <summary>Fashion-MNIST class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>MNIST class names (the digits).</summary>
    public static IReadOnlyList<string> MnistClassNames { get; } = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();

    /// <summary>
    /// Finds the bundled sample (<see cref="BundledFiles.FashionMnistSample"/>) through <see cref="BundledFiles"/>:
    /// next to the program or the ECQx library (tool, package build output, NuGet cache) or in a checkout.
    /// Returns its directory, or null when no copy with the training images is found.
    /// </summary>
    public static string? FindBundledSample() =>
        BundledFiles.Find(BundledTrainImages) is { } trainImages
            ? Path.GetDirectoryName(trainImages)
            : null;

    /// <summary>Loads the bundled sample; a missing sample is a <see cref="FileNotFoundException"/> saying where it was looked for.</summary>
    public static DatasetSplits LoadBundledSample(IdxImageOptions? options = null)
    {
        string trainImages = BundledFiles.Require(BundledTrainImages, "The bundled Fashion-MNIST sample");
        return Load(Path.GetDirectoryName(trainImages)!, options);
    }

    /// <summary>Finds <c>{prefix}-{kind}-idx{n}-ubyte</c> with or without <c>.gz</c> in <paramref name="directory"/>.</summary>
    public static string FindFile(string directory, string prefix, string kind)
    {
        string stem = kind == "images" ? $"{prefix}-images-idx3-ubyte" : $"{prefix}-labels-idx1-ubyte";
        foreach (string name in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx", StringComparison.Ordinal) + ".gz", stem.Replace("-idx", ".idx", StringComparison.Ordinal) })
        {
            string p = Path.Combine(directory, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{stem}[.gz] not found in '{directory}' (expected the MNIST/Fashion-MNIST IDX file names).", Path.Combine(directory, stem + ".gz"));
    }

    /// <summary>
    /// Reads an images/labels IDX pair into uint8 <c>[N, 1, H, W]</c> and int64 <c>[N]</c> (CPU), checking that the
    /// images are 3-D, the labels 1-D, the counts equal, and every label below <paramref name="numClasses"/>.
    /// </summary>
    public static (Tensor images, Tensor labels) ReadPair(string imagesPath, string labelsPath, int numClasses = 10)
    {
        TorchRuntime.EnsureLoaded();
        var img = IdxFile.Read(imagesPath);
        var lab = IdxFile.Read(labelsPath);
        if (img.Shape.Length != 3)
            throw new InvalidDataException($"{imagesPath}: expected a 3-D image file [N, H, W], got [{string.Join(", ", img.Shape)}].");
        if (lab.Shape.Length != 1)
            throw new InvalidDataException($"{labelsPath}: expected a 1-D label file [N], got [{string.Join(", ", lab.Shape)}].");
        if (img.Shape[0] != lab.Shape[0])
            throw new InvalidDataException($"{imagesPath} has {img.Shape[0]} images but {labelsPath} has {lab.Shape[0]} labels.");
        int bad = Array.FindIndex(lab.Data, v => v >= numClasses);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: label {lab.Data[bad]} at index {bad} is not below the {numClasses} classes.");
        using var scope = NewDisposeScope();
        var images = tensor(img.Data, dtype: ScalarType.Byte).reshape(img.Shape[0], 1, img.Shape[1], img.Shape[2]);
        var labels = tensor(lab.Data, dtype: ScalarType.Byte).to(int64);
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Loads a directory with the four standard IDX files (the bundled sample, or the full Fashion-MNIST/MNIST
    /// files a user downloaded, gzip or raw). Train is shuffled with the seed; test keeps file order.
    /// </summary>
    public static DatasetSplits Load(string directory, IdxImageOptions? options = null)
    {
        options ??= new IdxImageOptions();
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"IDX dataset directory not found: {directory}");
        var (trX, trY) = ReadPair(FindFile(directory, "train", "images"), FindFile(directory, "train", "labels"), options.ClassNames.Count);
        var (teX, teY) = ReadPair(FindFile(directory, "t10k", "images"), FindFile(directory, "t10k", "labels"), options.ClassNames.Count);
        string fingerprint = DataFingerprint.Of(("train.images", trX), ("train.labels", trY), ("test.images", teX), ("test.labels", teY));
        var train = new ImageBatchSource(trX, trY, options.ClassNames, options.Normalization, options.TrainAugmentation,
            new BatchOptions { BatchSize = options.BatchSize, Shuffle = true, DropLast = options.DropLast, Seed = options.Seed, Device = options.Device });
        var test = new ImageBatchSource(teX, teY, options.ClassNames, options.Normalization, null,
            new BatchOptions { BatchSize = options.BatchSize, Seed = options.Seed, Device = options.Device });
        return new DatasetSplits("fashion-mnist", train, test) { Fingerprint = fingerprint };
    }
}
