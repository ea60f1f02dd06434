using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>Seeded test tensors and comparison helpers for the quantization tests.</summary>
internal static class QuantTestData
{
    /// <summary>Deterministic Gaussian-mixture weights (System.Random with a seed is stable across runs).</summary>
    public static float[] Weights(int n, int seed, double sigma = 0.05, double skew = 0.0)
    {
        var rng = new Random(seed);
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            double g = Normal(rng);
            // A little asymmetry so the sign vote is not always a coin flip.
            if (skew != 0 && rng.NextDouble() < 0.2) g = Math.Abs(g) * (1 + skew);
            w[i] = (float)(sigma * g);
        }
        return w;
    }

    /// <summary>Deterministic signed relevance with a heavy tail.</summary>
    public static float[] Relevance(int n, int seed)
    {
        var rng = new Random(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float)(Normal(rng) * Math.Exp(Normal(rng)));
        return r;
    }

    public static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Same shape, dtype-compatible and element-wise equal.</summary>
    public static bool Same(torch.Tensor a, torch.Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var e = a.eq(b);
        using var all = e.all();
        return all.item<bool>();
    }

    public static long[] Levels(EcqAssignment q) => q.Levels.reshape(-1).data<long>().ToArray();

    public static torch.Tensor Tensor(float[] w, params long[] shape) =>
        torch.tensor(w).reshape(shape.Length == 0 ? new long[] { w.Length } : shape);

    /// <summary>
    /// Asserts two assignments (centroid indices) agree except at float ties: where they differ, the scalar
    /// costs of the two choices must be equal to 1e-12 relative. Returns the number of tie differences.
    /// </summary>
    public static int AssertEqualUpToTies(int[] expected, int[] actual, Func<int, int, double> cost, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int ties = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i]) continue;
            double a = cost(i, expected[i]), b = cost(i, actual[i]);
            Assert.True(Math.Abs(a - b) <= 1e-12 * Math.Max(1e-30, Math.Max(Math.Abs(a), Math.Abs(b))),
                $"{what}: weight {i} assigned to centroid {actual[i]} (cost {b:R}) but the reference chose {expected[i]} (cost {a:R}); not a tie.");
            ties++;
        }
        Assert.True(ties <= Math.Max(2, expected.Length / 10000), $"{what}: {ties} tie differences is implausibly many.");
        return ties;
    }
}
