using TorchSharp;

namespace ECQx.Data;

/// <summary>
/// A seeded synthetic classification task: Gaussian blobs around random class centres in
/// <c>features</c> dimensions. Small, in memory, and fully determined by the seed (used by tests, the
/// <c>--dataset synthetic</c> CLI option, and the quick experiments' stand-in data).
/// </summary>
public static class SyntheticBlobs
{
    /// <summary>
    /// Creates <paramref name="trainCount"/> + <paramref name="testCount"/> samples of
    /// <paramref name="classes"/> blobs with centres drawn from N(0, <paramref name="separation"/>²) and unit noise.
    /// With <paramref name="sampleShape"/> (whose element count must equal <paramref name="features"/>) every sample
    /// is reshaped to it, so image or MFCC models can be smoke-tested on blobs. The training split is shuffled
    /// with <paramref name="batch"/>'s seed (default: batches of 64, shuffled with <paramref name="seed"/>); the
    /// test split keeps its order.
    /// </summary>
    public static DatasetSplits Create(long seed, int trainCount = 1024, int testCount = 512,
        int features = 16, int classes = 4, double separation = 2.0, long[]? sampleShape = null, BatchOptions? batch = null)
    {
        if (sampleShape is not null && sampleShape.Aggregate(1L, (a, b) => a * b) != features)
            throw new ArgumentException($"sample shape [{string.Join(", ", sampleShape)}] does not have {features} elements");
        TorchRuntime.EnsureLoaded();
        if (trainCount <= 0 || testCount < 0) throw new ArgumentException($"sample counts must be positive (train {trainCount}, test {testCount})");
        if (features <= 0 || classes < 2) throw new ArgumentException($"need features ≥ 1 and classes ≥ 2 (got {features}, {classes})");
        batch ??= new BatchOptions { Seed = unchecked((ulong)seed) };
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator(unchecked((ulong)seed));
        var centres = torch.randn(new long[] { classes, features }, generator: gen) * separation;
        (torch.Tensor X, torch.Tensor Y) Draw(int n)
        {
            var y = torch.randint(0, classes, new long[] { n }, generator: gen, dtype: torch.int64);
            var x = centres.index_select(0, y) + torch.randn(new long[] { n, features }, generator: gen);
            return (x, y);
        }
        var (trX, trY) = Draw(trainCount);
        var (teX, teY) = Draw(testCount);
        if (sampleShape is not null)
        {
            trX = trX.reshape(new[] { (long)trainCount }.Concat(sampleShape).ToArray());
            teX = teX.reshape(new[] { (long)testCount }.Concat(sampleShape).ToArray());
        }
        string fingerprint = DataFingerprint.Of(("train.inputs", trX), ("train.labels", trY), ("test.inputs", teX), ("test.labels", teY));
        return new DatasetSplits("synthetic blobs",
            new InMemoryBatchSource(trX, trY, classes, batch with { Shuffle = true }),
            new InMemoryBatchSource(teX, teY, classes, batch with { Shuffle = false, DropLast = false })) { Fingerprint = fingerprint };
    }
}
