using ECQx.XaiCompression;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

public class WeightedKMeansTests
{
    [Theory]
    [InlineData(false, 4, 1)]
    [InlineData(true, 4, 2)]
    [InlineData(true, 16, 3)]
    [InlineData(false, 8, 4)]
    public void ObjectiveNeverIncreases(bool weighted, int k, int seed)
    {
        TorchRuntime.EnsureLoaded();
        using var gen = new Generator((ulong)seed);
        var x = randn(2000, generator: gen) * 0.1;
        var v = weighted ? rand(2000, generator: gen) : null;
        using var r = WeightedKMeans.Fit(x, v, new KMeansOptions { Clusters = k, MaxIterations = 30, Seed = seed });
        Assert.True(r.Objective.Count >= 2);
        for (int i = 1; i < r.Objective.Count; i++)
            Assert.True(r.Objective[i] <= r.Objective[i - 1] * (1 + 1e-12), $"objective rose at iteration {i}: {r.Objective[i - 1]} → {r.Objective[i]}");
        // the reported final objective equals an independent scalar evaluation
        var xs = x.data<float>().ToArray(); var a = r.Assignment.data<long>().ToArray(); var c = r.Centroids.data<double>().ToArray();
        var vs = v?.data<float>().ToArray();
        double j = 0;
        for (int i = 0; i < xs.Length; i++) j += (vs?[i] ?? 1.0) * Math.Pow((double)xs[i] - c[a[i]], 2);
        Assert.Equal(j, r.Objective[^1], 6);
        // centroids ascending; each value sits at its nearest centroid after convergence
        Assert.True(c.Zip(c.Skip(1)).All(p => p.First <= p.Second));
        for (int i = 0; i < xs.Length; i += 37)
        {
            double best = c.Min(cc => Math.Abs(xs[i] - cc));
            Assert.True(Math.Abs(xs[i] - c[a[i]]) <= best + 1e-9);
        }
    }

    [Fact]
    public void RecoversKnownClusters()
    {
        TorchRuntime.EnsureLoaded();
        using var gen = new Generator(5);
        var centres = new[] { -1.0, 0.2, 1.5 };
        var label = randint(0, 3, new long[] { 3000 }, generator: gen);
        var x = tensor(centres).index_select(0, label) + randn(3000, generator: gen, dtype: float64) * 0.02;
        using var r = WeightedKMeans.Fit(x, null, new KMeansOptions { Clusters = 3, Seed = 9 });
        var c = r.Centroids.data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(centres[i], c[i], 2);
        // assignment equals the true labels (centres are listed ascending)
        Assert.True(r.Assignment.eq(label).all().item<bool>());
    }

    [Fact]
    public void RelevanceWeightingPullsCentroidsTowardRelevantValues()
    {
        TorchRuntime.EnsureLoaded();
        // one cluster: the weighted mean; a heavy weight on the last value moves the centroid to it
        var x = tensor(new[] { 0.0, 0.0, 0.0, 1.0 });
        using var plain = WeightedKMeans.Fit(x, null, new KMeansOptions { Clusters = 1 });
        using var weighted = WeightedKMeans.Fit(x, tensor(new[] { 1.0, 1.0, 1.0, 9.0 }), new KMeansOptions { Clusters = 1 });
        Assert.Equal(0.25, plain.Centroids.item<double>(), 12);
        Assert.Equal(0.75, weighted.Centroids.item<double>(), 12);
    }

    [Fact]
    public void SeedingIsReproducibleAndBadInputIsRejected()
    {
        TorchRuntime.EnsureLoaded();
        using var gen = new Generator(2);
        var x = randn(500, generator: gen);
        using var a = WeightedKMeans.Fit(x, null, new KMeansOptions { Clusters = 8, Seed = 4 });
        using var b = WeightedKMeans.Fit(x, null, new KMeansOptions { Clusters = 8, Seed = 4 });
        Assert.True(TensorAssert.Same(a.Centroids, b.Centroids));
        Assert.Throws<ArgumentException>(() => WeightedKMeans.Fit(empty(0), null, new KMeansOptions()));
        Assert.Throws<ArgumentException>(() => WeightedKMeans.Fit(tensor(new[] { 1f, float.NaN }), null, new KMeansOptions()));
        Assert.Throws<ArgumentException>(() => WeightedKMeans.Fit(x, -ones(500), new KMeansOptions()));
        Assert.Throws<ArgumentException>(() => WeightedKMeans.Fit(x, ones(3), new KMeansOptions()));
        Assert.Throws<ArgumentException>(() => WeightedKMeans.Fit(x, null, new KMeansOptions { Clusters = 0 }));
    }
}
