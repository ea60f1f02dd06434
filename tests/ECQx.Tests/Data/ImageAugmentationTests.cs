using ECQx.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Data;

public class ImageAugmentationTests
{
    /// <summary>Scalar reference: zero-pad by p, take the window at (top, left), optionally mirror first.</summary>
    internal static float[] ReferenceCropFlip(float[] img, int c, int h, int w, int p, int top, int left, bool flip)
    {
        var outp = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int sy = y + top - p, sx = x + left - p;
            float v = 0;
            if (sy >= 0 && sy < h && sx >= 0 && sx < w)
            {
                int srcX = flip ? w - 1 - sx : sx;
                v = img[(ch * h + sy) * w + srcX];
            }
            outp[(ch * h + y) * w + x] = v;
        }
        return outp;
    }

    [Fact]
    public void CropMatchesTheScalarReferenceForEveryOffset()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        int c = 2, h = 5, w = 6, p = 2;
        var img = Enumerable.Range(0, c * h * w).Select(i => (float)(i + 1)).ToArray();
        var offsets = (from t in Enumerable.Range(0, 2 * p + 1) from l in Enumerable.Range(0, 2 * p + 1) select (t, l)).ToArray();
        int b = offsets.Length;
        var batch = tensor(img).reshape(1, c, h, w).expand(b, c, h, w).contiguous();
        var top = tensor(offsets.Select(o => (long)o.t).ToArray());
        var left = tensor(offsets.Select(o => (long)o.l).ToArray());

        var cropped = ImageAugmentation.Crop(batch, p, top, left);

        Assert.Equal(new long[] { b, c, h, w }, cropped.shape);
        var data = cropped.data<float>().ToArray();
        for (int i = 0; i < b; i++)
            Assert.Equal(ReferenceCropFlip(img, c, h, w, p, offsets[i].t, offsets[i].l, false), data.AsSpan(i * c * h * w, c * h * w).ToArray());
        // offset (p, p) is the identity
        int centre = Array.IndexOf(offsets, (p, p));
        Assert.Equal(img, data.AsSpan(centre * c * h * w, c * h * w).ToArray());
    }

    [Fact]
    public void FlipMirrorsOnlyTheMaskedImages()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = arange(2 * 1 * 2 * 3, dtype: float32).reshape(2, 1, 2, 3);
        var y = ImageAugmentation.Flip(x, tensor(new[] { true, false }));
        Assert.Equal(new float[] { 2, 1, 0, 5, 4, 3, 6, 7, 8, 9, 10, 11 }, y.data<float>().ToArray());
    }

    [Fact]
    public void NormalizationMatchesHandComputedCifarValues()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var pixels = tensor(new float[] { 255, 0, 125.3f, 123.0f, 0, 255 }).reshape(1, 3, 1, 2);
        var n = ImageNormalization.Cifar10.Apply(pixels).data<float>().ToArray();
        Assert.Equal((255 - 125.3) / 63.0, n[0], 4);
        Assert.Equal(-125.3 / 63.0, n[1], 4);
        Assert.Equal((125.3 - 123.0) / 62.1, n[2], 4);
        Assert.Equal(0.0, n[3], 4);
        Assert.Equal(-113.9 / 66.7, n[4], 4);
        Assert.Equal((255 - 113.9) / 66.7, n[5], 4);
    }

    [Fact]
    public void AugmentedBatchesAreSeededFlipsAndCropsOfTheOriginals()
    {
        TorchRuntime.EnsureLoaded();
        const int n = 64, c = 3, h = 8, w = 8, p = 2;
        var rng = new Random(5);
        var bytes = new byte[n * c * h * w];
        rng.NextBytes(bytes);
        var names = Enumerable.Range(0, n).Select(i => $"img{i}").ToArray();
        // label = index, so every augmented image can be traced back to its original
        using var source = new ImageBatchSource(tensor(bytes, dtype: ScalarType.Byte).reshape(n, c, h, w), arange(n, dtype: int64),
            names, ImageNormalization.UnitRange(c), new ImageAugmentation { FlipProbability = 0.5, CropPadding = p },
            new BatchOptions { BatchSize = 16, Shuffle = true, Seed = 9 });

        var seen = new List<(bool flip, int top, int left)>();
        var epoch1 = new List<float[]>();
        foreach (var (x, y) in source.Batches(1))
        {
            using (x)
            using (y)
            {
                Assert.Equal(ScalarType.Float32, x.dtype);
                Assert.Equal(ScalarType.Int64, y.dtype);
                var data = x.data<float>().ToArray();
                var labels = y.data<long>().ToArray();
                epoch1.Add(data);
                for (int i = 0; i < labels.Length; i++)
                {
                    var img = bytes.AsSpan((int)labels[i] * c * h * w, c * h * w).ToArray().Select(v => v / 255f).ToArray();
                    var got = data.AsSpan(i * c * h * w, c * h * w).ToArray();
                    var match = (from f in new[] { false, true }
                                 from t in Enumerable.Range(0, 2 * p + 1)
                                 from l in Enumerable.Range(0, 2 * p + 1)
                                 where ReferenceCropFlip(img, c, h, w, p, t, l, f).Zip(got).All(z => Math.Abs(z.First - z.Second) < 1e-6)
                                 select (f, t, l)).ToList();
                    Assert.True(match.Count >= 1, $"augmented image {i} (original {labels[i]}) is not a flip/crop of its original");
                    seen.Add(match[0]);
                }
            }
        }
        Assert.Equal(n, seen.Count);
        Assert.InRange(seen.Count(s => s.flip), 16, 48);
        Assert.True(seen.Select(s => (s.top, s.left)).Distinct().Count() >= 12, "crop offsets barely vary");

        // Same epoch again: identical; next epoch: different.
        var again = source.Batches(1).Select(b => { using (b.inputs) using (b.labels) return b.inputs.data<float>().ToArray(); }).ToList();
        Assert.Equal(epoch1, again);
        var next = source.Batches(2).Select(b => { using (b.inputs) using (b.labels) return b.inputs.data<float>().ToArray(); }).ToList();
        Assert.NotEqual(epoch1, next);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ImageAugmentation { FlipProbability = 1.5 }.Validate());
        Assert.Throws<ArgumentException>(() => new ImageAugmentation { CropPadding = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new ImageNormalization(new[] { 0f }, new[] { 0f }).Validate(1));
        Assert.Throws<ArgumentException>(() => ImageNormalization.Cifar10.Validate(1));
    }
}
