using ECQx.XaiCompression;
using Xunit;

namespace ECQx.Tests.XaiCompression;

public class BitAllocationTests
{
    /// <summary>Scalar brute force: the largest total ≤ budget, and the best value at that total.</summary>
    private static (long Total, double Value) BruteForce(IReadOnlyList<LayerBitInput> layers, double budget, int min, int max)
    {
        long n = layers.Sum(l => l.Count), cap = (long)Math.Floor(budget * n + 1e-9);
        double sumS = layers.Sum(l => l.Relevance);
        long bestT = -1; double bestV = double.NegativeInfinity;
        var bits = new int[layers.Count];
        void Rec(int i, long t, double v)
        {
            if (t > cap) return;
            if (i == layers.Count)
            {
                if (t > bestT || (t == bestT && v > bestV + 1e-12)) { bestT = t; bestV = v; }
                return;
            }
            for (int b = min; b <= max; b++)
                Rec(i + 1, t + layers[i].Count * b, v + layers[i].Relevance / sumS * (1 - Math.Pow(4, -b)));
        }
        Rec(0, 0, 0);
        return (bestT, bestV);
    }

    [Fact]
    public void AllocationUsesTheLargestAttainableBudgetAndTheBestValue()
    {
        var rng = new Random(17);
        for (int trial = 0; trial < 60; trial++)
        {
            int L = rng.Next(1, 6);
            var layers = Enumerable.Range(0, L).Select(i => new LayerBitInput($"l{i}", rng.Next(1, 40) * (rng.Next(2) == 0 ? 3 : 5), rng.NextDouble() * 10)).ToList();
            double budget = 2 + rng.NextDouble() * 4.5;
            var r = BitAllocation.Allocate(layers, budget, 2, 6);
            var (t, v) = BruteForce(layers, budget, 2, 6);
            Assert.True(r.Exact);
            Assert.True(r.TotalBits <= r.BudgetBits);
            Assert.Equal(t, r.TotalBits);
            Assert.Equal(layers.Select((l, i) => l.Count * (long)r.Bits[i]).Sum(), r.TotalBits);
            double value = layers.Select((l, i) => l.Relevance / layers.Sum(x => x.Relevance) * (1 - Math.Pow(4, -r.Bits[i]))).Sum();
            Assert.Equal(v, value, 9);
            Assert.All(r.Bits, b => Assert.InRange(b, 2, 6));
        }
    }

    [Fact]
    public void BudgetIsMetExactlyWhenFeasible()
    {
        // sizes 100, 100, 200; budget 4.25 → 1700 bits attainable (e.g. 5,4,4 → 500+400+800)
        var layers = new[] { new LayerBitInput("a", 100, 1), new LayerBitInput("b", 100, 2), new LayerBitInput("c", 200, 3) };
        var r = BitAllocation.Allocate(layers, 4.25);
        Assert.Equal(1700, r.BudgetBits);
        Assert.Equal(1700, r.TotalBits);
        Assert.Equal(4.25, r.AverageBits(layers), 12);
    }

    [Fact]
    public void MoreRelevantLayersOfEqualSizeNeverGetFewerBits()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 40; trial++)
        {
            int L = rng.Next(2, 7);
            var sizes = new[] { 64L, 128L, 192L };
            var layers = Enumerable.Range(0, L).Select(i => new LayerBitInput($"l{i}", sizes[rng.Next(3)], rng.NextDouble())).ToList();
            var r = BitAllocation.Allocate(layers, 2 + rng.NextDouble() * 5);
            for (int i = 0; i < L; i++)
                for (int j = 0; j < L; j++)
                    if (layers[i].Count == layers[j].Count && layers[i].Relevance > layers[j].Relevance)
                        Assert.True(r.Bits[i] >= r.Bits[j], $"trial {trial}: layer {i} (S={layers[i].Relevance}) got {r.Bits[i]} bits < layer {j} (S={layers[j].Relevance}) {r.Bits[j]}");
        }
    }

    [Fact]
    public void BadBudgetsAreErrors()
    {
        var layers = new[] { new LayerBitInput("a", 10, 1), new LayerBitInput("b", 30, 0) };
        Assert.Throws<ArgumentException>(() => BitAllocation.Allocate(layers, 1.5));
        Assert.Throws<ArgumentException>(() => BitAllocation.Allocate(layers, double.NaN));
        Assert.Throws<ArgumentException>(() => BitAllocation.Allocate(layers, 4, minBits: 1));
        Assert.Throws<ArgumentException>(() => BitAllocation.Allocate(new[] { new LayerBitInput("x", 5, -1) }, 4));
        Assert.Throws<ArgumentException>(() => BitAllocation.Allocate(Array.Empty<LayerBitInput>(), 4));
        // budget above max bits: everything at max
        Assert.Equal(new[] { 8, 8 }, BitAllocation.Allocate(layers, 12).Bits);
    }
}
