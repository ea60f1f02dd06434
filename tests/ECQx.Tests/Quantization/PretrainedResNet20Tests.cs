using ECQx.IO;
using ECQx.Quantization;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Quantization;

/// <summary>The quantizer on the real pretrained CIFAR-10 ResNet20 (spec §a.2 counts; one layer vs the scalar reference).</summary>
public class PretrainedResNet20Tests
{
    public PretrainedResNet20Tests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void SelectsTheTwentyTensorsOfTheSpecAndQuantizesThem()
    {
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        var sd = doc.Tensors.ToList();
        using var result = StateDictQuantizer.Quantize(sd);

        // Spec §a.2: 19 conv kernels + linear.weight, 268,336 weights, n_max = 36,864; 2,762 unquantized floats.
        Assert.Equal(20, result.Layers.Count);
        Assert.Contains(result.Layers, l => l.Name == "conv1.weight");
        Assert.Contains(result.Layers, l => l.Name == "linear.weight");
        Assert.Equal(268_336, result.QuantizedWeightCount);
        Assert.Equal(36_864, result.NMax);
        long unquantizedFloats = sd.Where(kv => !result.Contains(kv.Key) && kv.Value.dtype == torch.ScalarType.Float32).Sum(kv => kv.Value.numel());
        Assert.Equal(2_762, unquantizedFloats);

        foreach (var layer in result.Layers)
        {
            Assert.False(layer.Codebook.IsUnsigned, layer.Name);
            Assert.Equal(16, layer.Codebook.Count);
            Assert.Empty(layer.Result.Stats.Warnings);
            Assert.InRange(layer.Result.Stats.Sparsity, 0.05, 0.999);
        }
        // Λ = 0.05 makes the network sparser than nearest-centroid rounding.
        using var nearest = StateDictQuantizer.Quantize(sd, new EcqQuantizerSettings { Ecq = EcqOptions.Default with { Lambda = 0 } });
        Assert.True(result.Sparsity > nearest.Sparsity);
    }

    [Fact]
    public void LargestLayerMatchesTheScalarReference()
    {
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        var t = doc.Tensors["layer3.2.conv2.weight"];
        var w = t.reshape(-1).data<float>().ToArray();
        using var cb = Codebook.FromWeights(t, 4, name: "layer3.2.conv2.weight");
        var sc = ScalarEcqReference.Codebook(w, 4);
        Assert.Equal(sc.Step, cb.Step);
        Assert.Equal(sc.MinLevel, cb.MinLevel);
        var r = ScalarEcqReference.Ecq(w, sc, 0.05, 36_864);
        using var q = EntropyConstrainedQuantizer.Assign(t, cb, EcqOptions.Default, 36_864, "layer3.2.conv2.weight");
        Assert.Equal(r.Counts, q.Stats.Ecq!.NearestCounts);
        Assert.Equal(r.EffectiveLambda, q.Stats.Ecq.EffectiveLambda, 1e-12);
        var actual = QuantTestData.Levels(q).Select(l => (int)(l - cb.MinLevel)).ToArray();
        QuantTestData.AssertEqualUpToTies(r.Assignment, actual, (i, k) => ScalarEcqReference.Cost(sc, r, k, w[i]), "resnet20 layer3.2.conv2");
    }
}
