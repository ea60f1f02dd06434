using ECQx.Coding;
using ECQx.IO;
using ECQx.Quantization;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Quantization;

public class QuantizedModelTests
{
    private static List<KeyValuePair<string, Tensor>> StateDict(long seed)
    {
        TorchRuntime.EnsureLoaded();
        using var g = new Generator((ulong)seed);
        return new List<KeyValuePair<string, Tensor>>
        {
            new("fc1.weight", torch.randn(new long[] { 24, 10 }, generator: g)),
            new("fc1.bias", torch.randn(new long[] { 24 }, generator: g)),
            new("fc2.weight", torch.randn(new long[] { 5, 24 }, generator: g).mul(0.3)),
            new("fc2.bias", torch.randn(new long[] { 5 }, generator: g)),
        };
    }

    [Theory]
    [InlineData(2, 0.0, 1L)]
    [InlineData(2, 0.4, 2L)]
    [InlineData(4, 0.1, 3L)]
    public void OneShotLevelsAreTheAssignmentsAndLevelsFromValuesAgreeWithThem(int bits, double lambda, long seed)
    {
        var state = StateDict(seed);
        using var oneShot = StateDictQuantizer.Quantize(state, new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda } });
        using var direct = QuantizedModel.From(oneShot);
        using var fromValues = QuantizedModel.FromStateDict(oneShot.StateDict, oneShot.Codebooks);
        Assert.Equal(state.Select(kv => kv.Key), direct.Tensors.Select(t => t.Name));
        foreach (var t in direct.Tensors)
        {
            var other = fromValues.Tensors.Single(o => o.Name == t.Name);
            Assert.Equal(oneShot.Contains(t.Name), t.IsQuantized);
            Assert.True(TensorAssert.Same(t.Values, other.Values));
            if (!t.IsQuantized) { Assert.True(TensorAssert.Same(t.Values, state.Single(kv => kv.Key == t.Name).Value)); continue; }
            Assert.True(TensorAssert.Same(t.Levels!, oneShot[t.Name].Result.Levels.to(int64)), $"{t.Name}: levels differ from the assignment");
            Assert.True(TensorAssert.Same(t.Levels!, other.Levels!), $"{t.Name}: levels from values differ");
            Assert.Equal(oneShot[t.Name].Codebook.Step, t.Codebook!.Step);
            Assert.Equal(oneShot[t.Name].Codebook.MinLevel, t.Codebook.MinLevel);
        }
        foreach (var (_, t) in state) t.Dispose();
    }

    [Theory]
    [InlineData(2, 0.4, 4L)]
    [InlineData(3, 0.05, 5L)]
    public void CodingTheModelDirectlyGivesTheFileThatCompressingItsSavedStateDictGives(int bits, double lambda, long seed)
    {
        var state = StateDict(seed);
        string dir = TestPaths.NewTempDir();
        using var oneShot = StateDictQuantizer.Quantize(state, new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda } });
        using var model = QuantizedModel.From(oneShot);
        string saved = Path.Combine(dir, "q.safetensors"), direct = Path.Combine(dir, "direct.ecqx"), viaFile = Path.Combine(dir, "via-file.ecqx");
        model.Save(saved);
        EcqxModelFile.Write(direct, EcqxModel.From(model));
        using (var doc = SafeTensors.Load(saved))
        {
            foreach (var t in model.Tensors.Where(t => t.IsQuantized))
                Assert.Equal((t.Codebook!.Step, t.Codebook.Bits), QuantizedStateDict.Read(doc.Metadata, t.Name));
            EcqxModelFile.Write(viaFile, StateDictAdapter.FromStateDict(doc.Tensors, doc.Metadata));
        }
        Assert.Equal(File.ReadAllBytes(viaFile), File.ReadAllBytes(direct));
        using var decoded = StateDictAdapter.ToStateDict(EcqxModelFile.Read(direct));
        foreach (var t in model.Tensors) Assert.True(TensorAssert.Same(t.Values, decoded[t.Name]), $"{t.Name} decodes to other values");
        foreach (var (_, t) in state) t.Dispose();
    }

    [Fact]
    public void ValuesOffTheCodebooksGridAreRefusedNamingTheTensor()
    {
        var state = StateDict(6);
        using var oneShot = StateDictQuantizer.Quantize(state, new EcqQuantizerSettings { Bits = 2 });
        var e = Assert.Throws<ArgumentException>(() => QuantizedModel.FromStateDict(state, oneShot.Codebooks)); // the FP weights
        Assert.Contains("fc1.weight", e.Message);
        e = Assert.Throws<ArgumentException>(() => QuantizedModel.FromStateDict(state.Take(1), oneShot.Codebooks));
        Assert.Contains("fc2.weight", e.Message);
        foreach (var (_, t) in state) t.Dispose();
    }
}
