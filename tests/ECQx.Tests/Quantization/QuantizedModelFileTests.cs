using ECQx.Coding;
using ECQx.IO;
using ECQx.Quantization;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Quantization;

/// <summary>The quantized model's file: <see cref="QuantizedModel.Save"/> and <see cref="QuantizedModel.Load"/> as one format.</summary>
public class QuantizedModelFileTests
{
    private static List<KeyValuePair<string, Tensor>> StateDict(long seed)
    {
        TorchRuntime.EnsureLoaded();
        using var g = new Generator((ulong)seed);
        return new List<KeyValuePair<string, Tensor>>
        {
            new("conv.weight", torch.randn(new long[] { 6, 3, 3, 3 }, generator: g)),
            new("conv.bias", torch.randn(new long[] { 6 }, generator: g)),
            new("bn.num_batches_tracked", torch.tensor(17L)),
            new("fc.weight", torch.randn(new long[] { 4, 54 }, generator: g).mul(0.2)),
        };
    }

    [Theory]
    [InlineData(2, 0.4, 1L)]
    [InlineData(4, 0.05, 2L)]
    [InlineData(8, 0.0, 3L)]
    public void LoadingASavedModelGivesItsLevelsCodebooksValuesAndMetadataBack(int bits, double lambda, long seed)
    {
        var state = StateDict(seed);
        string dir = TestPaths.NewTempDir();
        using var oneShot = StateDictQuantizer.Quantize(state, new EcqQuantizerSettings { Bits = bits, Ecq = EcqOptions.Default with { Lambda = lambda } });
        using var model = QuantizedModel.From(oneShot);
        string first = Path.Combine(dir, "a.safetensors"), second = Path.Combine(dir, "b.safetensors");
        model.Save(first, new Dictionary<string, string> { ["ecqx.test_accuracy"] = "91.5" });
        using var loaded = QuantizedModel.Load(first);
        Assert.Equal(model.Tensors.Select(t => t.Name), loaded.Tensors.Select(t => t.Name));
        Assert.Equal("91.5", loaded.Metadata["ecqx.test_accuracy"]);
        Assert.DoesNotContain(loaded.Metadata.Keys, QuantizedStateDict.IsGridKey);
        foreach (var (a, b) in model.Tensors.Zip(loaded.Tensors))
        {
            Assert.Equal(a.IsQuantized, b.IsQuantized);
            Assert.True(TensorAssert.Same(a.Values, b.Values), $"{a.Name}: values differ");
            if (!a.IsQuantized) continue;
            Assert.True(TensorAssert.Same(a.Levels!, b.Levels!), $"{a.Name}: levels differ");
            Assert.Equal((a.Codebook!.Bits, a.Codebook.Step), (b.Codebook!.Bits, b.Codebook.Step));
            // The loaded codebook is the conventional one holding the levels: it holds every level and contains 0.
            long min = a.Levels!.min().item<long>(), max = a.Levels.max().item<long>();
            Assert.InRange(min, b.Codebook.MinLevel, b.Codebook.MaxLevel);
            Assert.InRange(max, b.Codebook.MinLevel, b.Codebook.MaxLevel);
        }
        loaded.Save(second);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second)); // the metadata travelled with the model
        foreach (var (_, t) in state) t.Dispose();
    }

    [Fact]
    public void AFileThatIsNotAQuantizedModelIsAClearErrorNamingFileTensorAndValue()
    {
        var state = StateDict(4);
        string dir = TestPaths.NewTempDir();
        string plain = Path.Combine(dir, "plain.safetensors");
        SafeTensors.Save(plain, state);
        var e = Assert.Throws<InvalidDataException>(() => QuantizedModel.Load(plain));
        Assert.Contains(plain, e.Message);
        Assert.Contains("no tensor is declared quantized", e.Message);

        var grid = new Dictionary<string, string>();
        QuantizedStateDict.SetGrid(grid, "conv.weight", 0.125, 4); // the float weights are not multiples of 0.125
        e = Assert.Throws<InvalidDataException>(() => QuantizedModel.Read(state, grid));
        Assert.Contains("'conv.weight' is not on its declared grid", e.Message);
        Assert.Contains("at index 0", e.Message);

        using var onGrid = state[0].Value.div(0.125).round().clamp(-8, 7).mul(0.125);
        var wide = new Dictionary<string, string>();
        QuantizedStateDict.SetGrid(wide, "conv.weight", 0.125, 12);
        e = Assert.Throws<InvalidDataException>(() => QuantizedModel.Read([new("conv.weight", onGrid)], wide));
        Assert.Contains("declares 12 bits", e.Message);

        var counter = new Dictionary<string, string>();
        QuantizedStateDict.SetGrid(counter, "bn.num_batches_tracked", 1.0, 8);
        e = Assert.Throws<InvalidDataException>(() => QuantizedModel.Read(state, counter));
        Assert.Contains("'bn.num_batches_tracked' is declared quantized but has dtype Int64", e.Message);

        using var tooWide = state[0].Value.div(0.125).round().clamp(-20, 20).mul(0.125); // 41 levels in a 2-bit grid
        var narrow = new Dictionary<string, string>();
        QuantizedStateDict.SetGrid(narrow, "conv.weight", 0.125, 2);
        e = Assert.Throws<InvalidDataException>(() => QuantizedModel.Read([new("conv.weight", tooWide)], narrow));
        Assert.Contains("do not fit a 2-bit codebook", e.Message);
        foreach (var (_, t) in state) t.Dispose();
    }

    [Fact]
    public void NegativeZerosAreCodedAsPatchesSoTheFileDecodesToTheModelsExactValues()
    {
        TorchRuntime.EnsureLoaded();
        using var values = torch.tensor(new float[] { 0.5f, -0.0f, 0.0f, -0.25f, -0.0f, 0.25f }).reshape(2, 3);
        var grid = new Dictionary<string, string>();
        QuantizedStateDict.SetGrid(grid, "w", 0.25, 3);
        using var model = QuantizedModel.Read([new("w", values)], grid);
        var coded = (QuantizedTensor)EcqxModel.From(model)["w"];
        Assert.Equal(new[] { 1, 4 }, coded.Patches.Select(p => p.Index));
        Assert.All(coded.Patches, p => Assert.True(float.IsNegative(p.Value) && p.Value == 0f));
        var read = EcqxModelFile.Parse(EcqxModelFile.Serialize(EcqxModel.From(model)), "mem").Model;
        using var decoded = StateDictAdapter.ToStateDict(read);
        Assert.Equal(values.bytes.ToArray(), decoded["w"].bytes.ToArray());
    }
}
