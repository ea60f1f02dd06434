using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

public class StateDictQuantizerTests
{
    public StateDictQuantizerTests() => TorchRuntime.EnsureLoaded();

    private static List<KeyValuePair<string, torch.Tensor>> StateDict() => new()
    {
        new("conv1.weight", torch.tensor(QuantTestData.Weights(4 * 2 * 9, 1)).reshape(4, 2, 3, 3)),
        new("bn1.weight", torch.ones(4)),
        new("layer1.0.downsample.0.weight", torch.tensor(QuantTestData.Weights(8, 2)).reshape(4, 2, 1, 1)),
        new("layer1.0.conv1.weight", torch.tensor(QuantTestData.Weights(4 * 4 * 9, 3)).reshape(4, 4, 3, 3)),
        new("fc.weight", torch.tensor(QuantTestData.Weights(12, 4)).reshape(3, 4)),
        new("fc.bias", torch.zeros(3)),
    };

    [Fact]
    public void QuantizesSelectedTensorsLikePerTensorCalls()
    {
        var sd = StateDict();
        var options = new EcqQuantizerSettings { Bits = 3, BitsPerTensor = new Dictionary<string, int> { ["fc.weight"] = 5 } };
        using var result = StateDictQuantizer.Quantize(sd, options);
        Assert.Equal(new[] { "conv1.weight", "layer1.0.conv1.weight", "fc.weight" }, result.Layers.Select(l => l.Name));
        Assert.Equal(new[] { "bn1.weight", "layer1.0.downsample.0.weight", "fc.bias" }, result.Unquantized);
        Assert.Equal(144, result.NMax);
        Assert.Equal(5, result["fc.weight"].Codebook.Bits);
        Assert.Equal(3, result["conv1.weight"].Codebook.Bits);
        Assert.Throws<KeyNotFoundException>(() => result["bn1.weight"]);

        long zeros = 0, total = 0;
        foreach (var (name, t) in sd.Where(kv => result.Contains(kv.Key)))
        {
            using var cb = Codebook.FromWeights(t, name == "fc.weight" ? 5 : 3);
            using var q = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, 144, name);
            Assert.True(QuantTestData.Same(q.Levels, result[name].Result.Levels), name);
            Assert.True(QuantTestData.Same(q.Values, result[name].Result.Values), name);
            zeros += q.Stats.ZeroCount;
            total += q.Stats.Count;
        }
        Assert.Equal(zeros / (double)total, result.Sparsity, 1e-15);

        var rows = result.Summaries();
        Assert.Equal(result.Layers.Select(l => l.Name), rows.Select(r => r.Name));
        var fc = rows[2];
        Assert.Equal(new long[] { 3, 4 }, fc.Shape);
        Assert.Equal(12, fc.Count);
        Assert.Equal(5, fc.Bits);
        Assert.Equal(result["fc.weight"].Codebook.Step, fc.Step);
        Assert.Equal(result["fc.weight"].Result.Stats.Histogram.Count(h => h > 0), fc.LevelsUsed);
        Assert.InRange(fc.LevelsUsed, 1, 12);
        Assert.Equal(0, fc.EcqxIterations);

        var merged = result.MergeInto(sd).ToList();
        Assert.Equal(sd.Select(kv => kv.Key), merged.Select(kv => kv.Key));
        Assert.Same(sd[1].Value, merged[1].Value);
        Assert.Same(result["fc.weight"].Result.Values, merged[4].Value);
        foreach (var kv in sd) kv.Value.Dispose();
    }

    [Fact]
    public void RelevanceForUnknownTensorIsAnError()
    {
        var sd = StateDict();
        using var r = torch.ones(3);
        var e = Assert.Throws<ArgumentException>(() => StateDictQuantizer.Quantize(sd, null, new Dictionary<string, torch.Tensor> { ["nope.weight"] = r }));
        Assert.Contains("nope.weight", e.Message);
        foreach (var kv in sd) kv.Value.Dispose();
    }

    [Fact]
    public void ErrorInOneTensorNamesIt()
    {
        var sd = StateDict();
        using var bad = torch.tensor(new float[] { 1, float.NaN, 2, 3 }).reshape(2, 2);
        sd.Add(new("head.weight", bad));
        var e = Assert.Throws<InvalidDataException>(() => StateDictQuantizer.Quantize(sd));
        Assert.Contains("head.weight", e.Message);
        foreach (var kv in sd.Take(6)) kv.Value.Dispose();
    }
}
