using ECQx.Coding;
using ECQx.Quantization;
using ECQx.Tests.Training;
using ECQx.Training;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Coding;

/// <summary>
/// The notebook path from a one-shot quantization to a coded model (<see cref="EcqxModel.From"/>, built from the
/// assignments' levels and codebooks) against the CLI path (quantized state dict + step/bit metadata, levels re-derived
/// from the float values): both decode to the quantized values bit for bit.
/// </summary>
public class DirectCodingTests
{
    public DirectCodingTests() => TorchRuntime.EnsureLoaded();

    private static List<KeyValuePair<string, torch.Tensor>> StateDict()
    {
        using var g = new torch.Generator(11);
        return new List<KeyValuePair<string, torch.Tensor>>
        {
            new("conv.weight", torch.randn(new long[] { 8, 3, 3, 3 }, generator: g) * 0.2),
            new("conv.bias", torch.randn(new long[] { 8 }, generator: g)),
            new("fc.weight", torch.randn(new long[] { 10, 72 }, generator: g) * 0.05),
            new("steps", torch.tensor(new long[] { 3, 4 })),
        };
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(4, 0.2)]
    [InlineData(5, 1.0)]
    public void DirectAndMetadataPathsDecodeToTheQuantizedValues(int bits, double lambda)
    {
        var sd = StateDict();
        using var q = StateDictQuantizer.Quantize(sd, new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda } });
        var direct = EcqxModel.From(q);
        var viaMetadata = StateDictAdapter.FromStateDict(q.StateDict, QuantizedStateDict.Metadata(q.Codebooks));

        Assert.Equal(sd.Select(kv => kv.Key), direct.Tensors.Select(t => t.Name));
        Assert.All(direct.Tensors.OfType<QuantizedTensor>(), t => Assert.Empty(t.Patches));
        Assert.Equal(new[] { "conv.weight", "fc.weight" }, direct.Tensors.OfType<QuantizedTensor>().Select(t => t.Name));
        foreach (var model in new[] { direct, viaMetadata })
        {
            var decoded = StateDictAdapter.ToStateDict(EcqxModelFile.Parse(EcqxModelFile.Serialize(model), "memory").Model);
            foreach (var (name, expected) in q.StateDict)
                Assert.True(decoded.Single(kv => kv.Key == name).Value.Same(expected), $"{name} differs after decoding");
            decoded.Dispose();
        }
        // same levels: the file's integers are the assignment's
        foreach (var layer in q.Layers)
            Assert.Equal(layer.Result.Levels.to(torch.int32).data<int>().ToArray(), ((QuantizedTensor)direct[layer.Name]).Levels.ToArray());
        foreach (var kv in sd) kv.Value.Dispose();
    }

    [Fact]
    public void OneAssignmentBecomesOneQuantizedTensor()
    {
        using var w = torch.tensor(new float[] { -0.31f, 0.02f, 0.4f, 0.11f, -0.09f, 0.25f }).reshape(2, 3);
        using var cb = Codebook.FromWeights(w, 3, name: "w");
        using var a = EntropyConstrainedQuantizer.Assign(w, cb, EcqOptions.Default with { Lambda = 0 }, 6, "w");
        var t = QuantizedTensor.From(a, cb);
        Assert.Equal(("w", cb.Step, 3, cb.MinLevel), (t.Name, t.Step, t.BitWidth, t.MinLevel));
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        // every level's grid value is the assignment's value
        var values = a.Values.reshape(-1).data<float>().ToArray();
        Assert.Equal(values, t.Levels.ToArray().Select(k => QuantizedTensor.GridValue(k, t.Step)).ToArray());
    }

    [Fact]
    public void AnAllZeroTensorIsCodedWithStepOne()
    {
        using var w = torch.zeros(3, 4);
        using var q = StateDictQuantizer.Quantize(new[] { new KeyValuePair<string, torch.Tensor>("w", w) });
        Assert.True(q["w"].Codebook.IsDegenerate);
        var t = (QuantizedTensor)EcqxModel.From(q)["w"];
        Assert.Equal(1.0, t.Step);
        Assert.All(t.Levels.ToArray(), k => Assert.Equal(0, k));
    }
}
