using ECQx.Data.Cifar;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Data.StandIn;

/// <summary>
/// Writes a small synthetic CIFAR-10 in the official binary format (<c>cifar-10-batches-bin/data_batch_1..5.bin</c>,
/// <c>test_batch.bin</c>, <c>batches.meta.txt</c>) that <see cref="Cifar10.Load"/> reads like the real archive. Each
/// class is a coloured blob on a textured background: class k has its own hue and stripe orientation, the blob's
/// position, size and the noise vary per image. Deterministic for a seed; the folder carries the
/// <see cref="StandInData.MarkerFileName"/> marker.
/// </summary>
public static class Cifar10StandIn
{
    /// <summary>
    /// Writes the stand-in under <paramref name="root"/> and returns the batch directory. <paramref name="trainCount"/>
    /// training images (split over the five training files) and <paramref name="testCount"/> test images, labels
    /// cycling through the ten classes. An existing stand-in with the same parameters is left as it is.
    /// </summary>
    public static string Write(string root, long seed = 808, int trainCount = 500, int testCount = 200)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (trainCount < 5 || testCount < 1) throw new ArgumentOutOfRangeException(nameof(trainCount), $"need at least 5 training and 1 test image (got {trainCount}, {testCount})");
        string dir = Path.Combine(root, Cifar10Binary.ArchiveDirectory);
        string description = $"CIFAR-10 stand-in: seed {seed}, {trainCount} train / {testCount} test images";
        string marker = Path.Combine(root, StandInData.MarkerFileName);
        if (File.Exists(marker) && File.ReadAllText(marker).Contains(description, StringComparison.Ordinal)) return dir;
        TorchRuntime.EnsureLoaded();
        Directory.CreateDirectory(dir);
        File.Delete(marker); // an interrupted rewrite must not look complete
        using var gen = new Generator(unchecked((ulong)seed));
        int perFile = (trainCount + Cifar10Binary.TrainFiles.Count - 1) / Cifar10Binary.TrainFiles.Count;
        for (int f = 0; f < Cifar10Binary.TrainFiles.Count; f++)
        {
            int n = Math.Clamp(trainCount - f * perFile, 0, perFile);
            using var labels = Labels(f * perFile, n);
            IO.AtomicFile.WriteAllBytes(Path.Combine(dir, Cifar10Binary.TrainFiles[f]), Records(labels, gen));
        }
        using (var labels = Labels(0, testCount))
            IO.AtomicFile.WriteAllBytes(Path.Combine(dir, Cifar10Binary.TestFile), Records(labels, gen));
        IO.AtomicFile.WriteAllText(Path.Combine(dir, "batches.meta.txt"), string.Join("\n", Cifar10Binary.ClassNames) + "\n");
        StandInData.WriteMarker(root, description);
        return dir;
    }

    /// <summary>Images [n, 3, 32, 32] in [0, 1] of the given classes (int64 [n]): see the class remarks.</summary>
    public static Tensor Images(Tensor labels, Generator generator)
    {
        using var scope = NewDisposeScope();
        long n = labels.shape[0];
        Tensor U(double lo, double hi) => rand(new long[] { n, 1, 1 }, generator: generator).mul(hi - lo).add(lo);
        var k = labels.to_type(float32).view(n, 1, 1);
        var grid = arange(32, dtype: float32).div(31);
        var y = grid.view(1, 32, 1);
        var x = grid.view(1, 1, 32);
        // Stripes whose orientation encodes the class; a blob at a random place and size.
        var angle = k.mul(Math.PI / 10);
        var stripes = x.mul(angle.cos()).add(y.mul(angle.sin())).mul(2 * Math.PI * 4).sin().mul(0.5).add(0.5);
        var blob = x.sub(U(0.3, 0.7)).pow(2).add(y.sub(U(0.3, 0.7)).pow(2)).div(U(0.02, 0.06)).neg().exp();
        // Class hue: RGB weights on the colour wheel.
        var hue = k.mul(2 * Math.PI / 10).unsqueeze(1);                                                   // [n,1,1,1]
        var phase = tensor(new float[] { 0, (float)(2 * Math.PI / 3), (float)(4 * Math.PI / 3) }).view(1, 3, 1, 1);
        var colour = hue.add(phase).cos().mul(0.5).add(0.5);                                                 // [n,3,1,1]
        var image = colour.mul(blob.unsqueeze(1)).mul(0.7).add(stripes.unsqueeze(1).mul(0.25))
            .add(randn(new long[] { n, 3, 32, 32 }, generator: generator).mul(0.08));
        return image.clamp(0, 1).MoveToOuterDisposeScope();
    }

    private static Tensor Labels(int first, int count) => arange(first, first + count, dtype: int64).remainder(10);

    private static byte[] Records(Tensor labels, Generator gen)
    {
        using var scope = NewDisposeScope();
        long n = labels.shape[0];
        if (n == 0) return Array.Empty<byte>();
        var pixels = Images(labels, gen).mul(255).round().to_type(uint8).reshape(n, 3 * 32 * 32);
        var records = cat(new[] { labels.to_type(uint8).view(n, 1), pixels }, 1).contiguous();
        return records.data<byte>().ToArray();
    }
}
