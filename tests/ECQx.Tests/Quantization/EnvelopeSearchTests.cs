using ECQx.Quantization;
using FsCheck;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>The internal building blocks (envelope, breakpoint search, histogram) against brute force.</summary>
public class EnvelopeSearchTests
{
    public EnvelopeSearchTests() => TorchRuntime.EnsureLoaded();

    [Property(MaxTest = 200)]
    public bool LowerEnvelopeEqualsBruteForceArgmin(int seed)
    {
        var rng = new Random(seed);
        int k = 1 + rng.Next(20);
        var c = Enumerable.Range(0, k).Select(i => (double)(float)((i - k / 2) * 0.1)).ToArray();
        var off = c.Select(_ => rng.NextDouble() < 0.2 ? double.PositiveInfinity : rng.NextDouble() * rng.NextDouble() * 0.5).ToArray();
        var cand = Enumerable.Range(0, k).Where(i => !double.IsInfinity(off[i])).ToList();
        if (cand.Count == 0) return true;
        var (clusters, breaks) = LowerEnvelope.Build(c, off, cand);
        for (int t = 0; t < 300; t++)
        {
            double w = (rng.NextDouble() - 0.5) * k * 0.15;
            if (t % 10 == 0 && breaks.Length > 0) w = breaks[rng.Next(breaks.Length)]; // exact ties
            int best = cand[0];
            foreach (int j in cand)
                if ((c[j] - w) * (c[j] - w) + off[j] < (c[best] - w) * (c[best] - w) + off[best]) best = j;
            int piece = breaks.Count(b => b < w);
            int got = clusters[piece];
            if (got != best)
            {
                double cg = (c[got] - w) * (c[got] - w) + off[got], cb = (c[best] - w) * (c[best] - w) + off[best];
                if (Math.Abs(cg - cb) > 1e-12) return false; // only rounding-level ties may differ
            }
        }
        return true;
    }

    [Property(MaxTest = 80)]
    public bool BreakpointSearchCountsExactly(int seed, bool float64, byte modeRaw)
    {
        var rng = new Random(seed);
        int mode = modeRaw % 4;
        int m = rng.Next(40);
        // mode 0: spread; 1: a crowd inside one cell (fallback path); 2: a narrow cluster far from 0, narrower
        // than float32 resolution allows to grid naively; 3: heavy outliers around a small breakpoint span.
        double centre = mode == 2 ? 100 + rng.NextDouble() : 0, width = mode == 2 ? 1e-4 : mode == 3 ? 0.01 : 3;
        var breaks = Enumerable.Range(0, m).Select(_ => centre + (rng.NextDouble() - 0.5) * width).ToList();
        if (mode == 1 && m > 0) breaks.AddRange(Enumerable.Range(0, 12).Select(i => breaks[0] + i * 1e-9));
        var b = breaks.OrderBy(x => x).ToArray();
        int n = 1 + rng.Next(2000);
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            w[i] = (float)(centre + (rng.NextDouble() - 0.5) * width * 1.2);
            if (mode == 3 && i % 17 == 0) w[i] = (float)((rng.NextDouble() - 0.5) * 1000);
            if (b.Length > 0 && i % 5 == 0)
            {
                float f = (float)b[rng.Next(b.Length)];
                w[i] = (i % 3) switch { 0 => f, 1 => MathF.BitIncrement(f), _ => MathF.BitDecrement(f) };
            }
        }
        using var t32 = torch.tensor(w);
        using var t = float64 ? t32.to_type(torch.ScalarType.Float64) : t32.alias();
        var work = float64 ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
        using var got = BreakpointSearch.Count(t, b, w.Min(), w.Max(), work, torch.CPU);
        return CountsBelow(got, b, w);
    }

    /// <summary>Whether <paramref name="got"/> holds, for every weight, the number of breakpoints strictly below it.</summary>
    private static bool CountsBelow(torch.Tensor got, double[] b, float[] w)
    {
        var g = got.data<int>().ToArray();
        for (int i = 0; i < w.Length; i++)
            if (g[i] != b.Count(x => x < w[i])) return false;
        return true;
    }

    [Property(MaxTest = 60)]
    public bool OneGridOverTheWeightsCountsEveryBreakpointListExactly(int seed, bool float64)
    {
        // One tensor's searches share a grid over the weights' range: lists spread over it, crowded into one cell
        // (the fallback to a grid fitted to them), a narrow span among outliers, empty, and the same list twice.
        var rng = new Random(seed);
        int n = 2 + rng.Next(3000);
        var w = new float[n];
        for (int i = 0; i < n; i++)
            w[i] = i % 23 == 0 ? (float)((rng.NextDouble() - 0.5) * 200) : (float)((rng.NextDouble() - 0.5) * 2);
        double lo = w.Min(), hi = w.Max();
        double[] Sorted(IEnumerable<double> xs) => xs.OrderBy(x => x).ToArray();
        var spread = Sorted(Enumerable.Range(0, rng.Next(1, 40)).Select(_ => (rng.NextDouble() - 0.5) * 2.2));
        var lists = new List<double[]>
        {
            spread,
            Sorted(Enumerable.Range(0, 12).Select(i => 0.3 + i * 1e-9)),
            Sorted(Enumerable.Range(0, rng.Next(1, 20)).Select(_ => 0.1 + rng.NextDouble() * 1e-3)),
            Array.Empty<double>(),
            spread,
        };
        foreach (var b in lists.SelectMany(l => l).ToArray())
        {
            int i = rng.Next(n);
            float f = (float)b;
            w[i] = (i % 3) switch { 0 => f, 1 => MathF.BitIncrement(f), _ => MathF.BitDecrement(f) }; // ties and neighbours
        }
        using var t32 = torch.tensor(w);
        using var t = float64 ? t32.to_type(torch.ScalarType.Float64) : t32.alias();
        var work = float64 ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
        using var search = BreakpointSearch.Over(t, w.Min(), w.Max(), work, torch.CPU);
        foreach (var b in lists)
        {
            using var got = search.CountBelow(b);
            if (!CountsBelow(got, b, w)) return false;
        }
        return true;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WeightsSpanningAFewSubnormalStepsAreCountedExactly(bool float64)
    {
        // A range so narrow that 1/cell-width overflows the work dtype: the grid cannot index it, bucketize counts.
        var w = Enumerable.Range(0, 500).Select(i => BitConverter.Int32BitsToSingle(100 + (i * 7) % 53)).ToArray();
        var b = new[] { (double)w[3], (double)w[10] - 1e-47, (double)w[20] }.Order().ToArray();
        using var t32 = torch.tensor(w);
        using var t = float64 ? t32.to_type(torch.ScalarType.Float64) : t32.alias();
        var work = float64 ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
        using (var fitted = BreakpointSearch.Count(t, b, w.Min(), w.Max(), work, torch.CPU))
            Assert.True(CountsBelow(fitted, b, w));
        using var search = BreakpointSearch.Over(t, w.Min(), w.Max(), work, torch.CPU);
        using var shared = search.CountBelow(b);
        Assert.True(CountsBelow(shared, b, w));
    }

    [Property(MaxTest = 25)]
    public bool TheHistogramCountsEveryIndexOnce(int seed, bool int64)
    {
        // One bin holds most of the weights, as the zero cluster does; several bins may map to one cluster.
        var rng = new Random(seed);
        int bins = 1 + rng.Next(20);
        int n = rng.Next(3) switch { 0 => 1 + rng.Next(5000), 1 => (1 << 16) + rng.Next(8), _ => 70_000 + rng.Next(30_000) };
        int dominant = rng.Next(bins);
        var idx = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.9 ? dominant : rng.Next(bins)).ToArray();
        int kCount = bins + rng.Next(3);
        var clusterOf = Enumerable.Range(0, bins).Select(_ => rng.Next(kCount)).ToArray(); // several bins may share a cluster
        using var t32 = torch.tensor(idx);
        using var t = int64 ? t32.to_type(torch.ScalarType.Int64) : t32.alias();
        var got = EntropyConstrainedQuantizer.Histogram(t, clusterOf, kCount);
        var want = new long[kCount];
        foreach (int i in idx) want[clusterOf[i]]++;
        return got.SequenceEqual(want);
    }

    [Fact]
    public void BreakpointSearchHandlesConstantWeightsAndNoBreaks()
    {
        using var w = torch.full(5, 0.25f);
        using var a = BreakpointSearch.Count(w, new[] { 0.1, 0.25, 0.3 }, 0.25, 0.25, torch.ScalarType.Float32, torch.CPU);
        Assert.All(a.data<int>().ToArray(), x => Assert.Equal(1, x));
        using var b = BreakpointSearch.Count(w, Array.Empty<double>(), 0.25, 0.25, torch.ScalarType.Float32, torch.CPU);
        Assert.All(b.data<int>().ToArray(), x => Assert.Equal(0, x));
        using var shared = BreakpointSearch.Over(w, 0.25, 0.25, torch.ScalarType.Float32, torch.CPU);
        using var c = shared.CountBelow(new[] { 0.1, 0.25, 0.3 });
        Assert.All(c.data<int>().ToArray(), x => Assert.Equal(1, x));
    }

    [Fact]
    public void Float32BreakpointsRoundDown()
    {
        double x = 0.1; // not representable: (float)0.1 > 0.1
        var f = LowerEnvelope.ForFloat32(new[] { x, 0.5, double.PositiveInfinity, -1e300, 1e300 });
        Assert.True(f[0] <= x && MathF.BitIncrement(f[0]) > x);
        Assert.Equal(0.5f, f[1]);
        Assert.Equal(float.PositiveInfinity, f[2]);
        Assert.Equal(float.NegativeInfinity, f[3]);
        Assert.Equal(float.MaxValue, f[4]);
    }
}
