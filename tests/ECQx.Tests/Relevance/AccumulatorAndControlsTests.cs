using ECQx.Relevance;
using FsCheck;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

public class AccumulatorAndControlsTests
{
    [Fact]
    public void RunningAverageFollowsSpecB7()
    {
        TorchRuntime.EnsureLoaded();
        using var acc = new RelevanceAccumulator(alpha: 0.1);
        var r1 = tensor(new[] { 1.0, -2.0 }, dtype: ScalarType.Float64);
        var r2 = tensor(new[] { 3.0, 4.0 }, dtype: ScalarType.Float64);
        var r3 = tensor(new[] { -1.0, 0.0 }, dtype: ScalarType.Float64);
        acc.Update(new Dictionary<string, Tensor> { ["w"] = r1 });
        Assert.Equal(new[] { 1.0, -2.0 }, acc.Get("w")!.data<double>().ToArray()); // initialised to the first batch
        acc.Update(new Dictionary<string, Tensor> { ["w"] = r2 });
        var after2 = new[] { 0.9 * 3 + 0.1 * 1, 0.9 * 4 + 0.1 * -2 };
        Assert.Equal(after2[0], acc.Get("w")![0].item<double>(), 12);
        Assert.Equal(after2[1], acc.Get("w")![1].item<double>(), 12);
        acc.Update(new Dictionary<string, Tensor> { ["w"] = r3 });
        Assert.Equal(0.9 * -1 + 0.1 * after2[0], acc.Get("w")![0].item<double>(), 12);
        Assert.Equal(3, acc.Batches);
        // the accumulator owns copies: changing the input afterwards does not change it
        r1.fill_(100);
        Assert.NotEqual(100, acc.Get("w")![0].item<double>());
        acc.Reset();
        Assert.Null(acc.Get("w"));
        acc.Update(new Dictionary<string, Tensor> { ["w"] = r2 });
        Assert.Equal(3.0, acc.Get("w")![0].item<double>()); // re-initialised after the epoch reset
    }

    /// <summary>A relevance method whose relevance of every parameter is the batch's input sum (hand-computable).</summary>
    private sealed class InputSumRelevance : IWeightRelevanceMethod
    {
        public int Calls { get; private set; }
        public string Name => "input-sum";
        public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
        {
            Calls++;
            double s = inputs.sum().item<float>();
            var relevance = model.named_parameters().ToDictionary(p => p.name, p => full_like(p.parameter, s).detach());
            try { return WeightRelevance.Build(Name, model, relevance, null); }
            finally { foreach (var t in relevance.Values) t.Dispose(); }
        }
    }

    [Fact]
    public void AccumulateRunsOnePassPerBatchAndFollowsTheRunningAverage()
    {
        TorchRuntime.EnsureLoaded();
        using var model = nn.Linear(2, 1);
        var batches = new[] { 1.0f, 2.0f, 3.0f }.Select(v => (Inputs: full(1, 2, v / 2), Targets: zeros(1, dtype: ScalarType.Int64))).ToList();
        var method = new InputSumRelevance();
        using (var all = RelevanceAccumulator.Accumulate(method, model, batches, ["weight"]))
        {
            Assert.Equal(3, all.Batches);
            Assert.Equal(3, method.Calls);
            Assert.Null(all.Get("bias")); // only the named tensors are kept
            // 1 → 0.9·2 + 0.1·1 = 1.9 → 0.9·3 + 0.1·1.9 = 2.89
            Assert.All(all.Get("weight")!.data<float>().ToArray(), v => Assert.Equal(2.89, v, 5));
        }
        using (var two = RelevanceAccumulator.Accumulate(method, model, batches, maxBatches: 2))
        {
            Assert.Equal(2, two.Batches);
            Assert.Equal(5, method.Calls); // it stops without attributing a third batch
            Assert.Equal(1.9, two.Get("bias")![0].item<float>(), 5);
        }
        // the caller's batches are still usable (they were made before the enumeration)
        Assert.Equal(1.0f, batches[0].Inputs.sum().item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => RelevanceAccumulator.Accumulate(method, model, batches, maxBatches: -1));
        foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
    }

    [Fact]
    public void LoadedValuesContinueTheRunningAverage()
    {
        TorchRuntime.EnsureLoaded();
        using var acc = new RelevanceAccumulator(alpha: 0.1);
        var saved = tensor(new[] { 2.0, -1.0 }, dtype: ScalarType.Float64);
        acc.Update(new Dictionary<string, Tensor> { ["old"] = zeros(1, dtype: ScalarType.Float64) });
        acc.Load(new[] { KeyValuePair.Create("w", saved) });
        Assert.Null(acc.Get("old")); // Load replaces, it does not merge
        Assert.Equal(0, acc.Batches);
        saved.fill_(100); // a copy was taken
        acc.Update(new Dictionary<string, Tensor> { ["w"] = tensor(new[] { 1.0, 1.0 }, dtype: ScalarType.Float64) });
        Assert.Equal(0.9 * 1 + 0.1 * 2, acc.Get("w")![0].item<double>(), 12);
        Assert.Equal(0.9 * 1 + 0.1 * -1, acc.Get("w")![1].item<double>(), 12);
    }

    [Fact]
    public void ShapeChangeAndUnknownNamesAreErrors()
    {
        TorchRuntime.EnsureLoaded();
        using var acc = new RelevanceAccumulator();
        acc.Update(new Dictionary<string, Tensor> { ["w"] = zeros(2, 3) });
        var e = Assert.Throws<ArgumentException>(() => acc.Update(new Dictionary<string, Tensor> { ["w"] = zeros(3, 2) }));
        Assert.Contains("'w'", e.Message);
        Assert.Throws<KeyNotFoundException>(() => acc.Update(new Dictionary<string, Tensor> { ["w"] = zeros(2, 3) }, new[] { "v" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelevanceAccumulator(1.5));
    }

    [Property(MaxTest = 50)]
    public void NormalizedIsInUnitIntervalWithMaximumOne(NonEmptyArray<NormalFloat> values)
    {
        TorchRuntime.EnsureLoaded();
        var data = values.Get.Select(v => (double)v.Get).ToArray();
        var n = RelevanceAccumulator.Normalize(tensor(data, dtype: ScalarType.Float64));
        var a = n.data<double>().ToArray();
        double maxAbs = data.Max(Math.Abs);
        Assert.All(a, v => Assert.InRange(v, 0.0, 1.0));
        for (int i = 0; i < a.Length; i++) Assert.Equal(Math.Abs(data[i]) / (maxAbs + 1e-12), a[i], 12);
    }

    [Fact]
    public void MagnitudeIsAbsoluteWeight()
    {
        TorchRuntime.EnsureLoaded();
        var net = TinyNets.BiasFreeMlp(71);
        using var rel = new MagnitudeRelevance().Attribute(net, TinyNets.Randn(1, 2, 6), tensor(new long[] { 0, 1 }));
        foreach (var (name, p) in net.named_parameters()) Assert.True(TensorAssert.Same(p.detach().abs(), rel[name]), name);
    }

    [Fact]
    public void RandomIsAFunctionOfSeedAndBatchAndFreshPerBatch()
    {
        TorchRuntime.EnsureLoaded();
        var net = TinyNets.BiasFreeMlp(72);
        var x = TinyNets.Randn(1, 2, 6);
        var x2 = TinyNets.Randn(2, 2, 6);
        var t = tensor(new long[] { 0, 1 });
        var tSwapped = tensor(new long[] { 1, 0 });
        using var a = new RandomRelevance(5);
        using var b = new RandomRelevance(5);
        using var c = new RandomRelevance(6);
        using var a1 = a.Attribute(net, x, t); using var a2 = a.Attribute(net, x, t);
        using var aOther = a.Attribute(net, x2, t); using var aLabels = a.Attribute(net, x, tSwapped);
        using var b1 = b.Attribute(net, x, t); using var c1 = c.Attribute(net, x, t);
        // Same seed and batch: the same relevance, whatever came before (this is what makes a resumed run identical).
        Assert.True(TensorAssert.Same(a1["fc1.weight"], b1["fc1.weight"]));
        Assert.True(TensorAssert.Same(a1["fc1.weight"], a2["fc1.weight"]));
        // Another batch (inputs or labels) or another seed: different relevance.
        Assert.False(TensorAssert.Same(a1["fc1.weight"], aOther["fc1.weight"]));
        Assert.False(TensorAssert.Same(a1["fc1.weight"], aLabels["fc1.weight"]));
        Assert.False(TensorAssert.Same(a1["fc1.weight"], c1["fc1.weight"]));
        Assert.True(a1["fc2.weight"].ge(0).all().item<bool>() && a1["fc2.weight"].lt(1).all().item<bool>());
    }
}
