using System.Globalization;
using ECQx.Coding;
using ECQx.IO;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Coding;

public class StateDictAdapterTests
{
    public StateDictAdapterTests() => ECQx.TorchRuntime.EnsureLoaded();

    private static byte[] Bytes(Tensor t) => t.contiguous().bytes.ToArray();

    /// <summary>A small quantized conv/BN/linear state dict (float32 grids, BN, an int64 counter).</summary>
    internal static List<KeyValuePair<string, Tensor>> SmallQuantizedStateDict(out Dictionary<string, string> metadata)
    {
        int[] conv = LevelSamples.Laplacian(8 * 3 * 3 * 3, 1.0, -8, 7, seed: 5);
        int[] fc = LevelSamples.Laplacian(10 * 8, 0.8, -2, 1, seed: 6);
        const float convStep = 0.0625f * 1.37f, fcStep = 0.11f;
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("conv1.weight", (torch.tensor(conv, dtype: float32) * convStep).reshape(8, 3, 3, 3)),
            new("bn1.weight", torch.rand(8, generator: new torch.Generator(1))),
            new("bn1.running_var", torch.rand(8, generator: new torch.Generator(2)) + 0.5f),
            new("bn1.num_batches_tracked", torch.tensor(391L)),
            new("linear.weight", (torch.tensor(fc, dtype: float32) * fcStep).reshape(10, 8)),
            new("linear.bias", torch.randn(10, generator: new torch.Generator(3))),
        };
        metadata = new Dictionary<string, string>
        {
            ["ecqx.step.conv1.weight"] = convStep.ToString("G9", CultureInfo.InvariantCulture),
            ["ecqx.bits.conv1.weight"] = "4",
            ["ecqx.step.linear.weight"] = ((double)fcStep).ToString("R", CultureInfo.InvariantCulture),
            ["ecqx.bits.linear.weight"] = "2",
            ["format"] = "pt",
        };
        return tensors;
    }

    [Fact]
    public void MetadataStepsSelectTheQuantizedTensorsAndRoundTripBitIdentically()
    {
        var tensors = SmallQuantizedStateDict(out var metadata);
        try
        {
            var model = StateDictAdapter.FromStateDict(tensors, metadata);
            Assert.Equal(new[] { "conv1.weight", "linear.weight" }, model.Tensors.OfType<QuantizedTensor>().Select(t => t.Name));
            var conv = (QuantizedTensor)model["conv1.weight"];
            Assert.Equal(4, conv.BitWidth);
            Assert.Equal(2, ((QuantizedTensor)model["linear.weight"]).BitWidth);
            Assert.Empty(conv.Patches);

            var read = EcqxModelFile.Parse(EcqxModelFile.Serialize(model), "mem").Model;
            var back = StateDictAdapter.ToStateDict(read);
            try
            {
                Assert.Equal(tensors.Select(kv => kv.Key), back.Select(kv => kv.Key));
                for (int i = 0; i < tensors.Count; i++)
                {
                    Assert.Equal(tensors[i].Value.dtype, back.ElementAt(i).Value.dtype);
                    Assert.Equal(tensors[i].Value.shape, back.ElementAt(i).Value.shape);
                    Assert.Equal(Bytes(tensors[i].Value), Bytes(back.ElementAt(i).Value));
                }
            }
            finally
            {
                back.Dispose();
            }
            var restored = StateDictAdapter.MetadataFor(read);
            Assert.Equal("pt", restored["format"]);
            Assert.Equal(conv.Step, double.Parse(restored["ecqx.step.conv1.weight"], CultureInfo.InvariantCulture));
            Assert.Equal("4", restored["ecqx.bits.conv1.weight"]);
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void WithoutMetadataEveryMultiDimensionalFloatTensorIsInferred()
    {
        var tensors = SmallQuantizedStateDict(out _);
        tensors.Add(new("zero.weight", torch.zeros(4, 4).index_put_(torch.tensor(-0f), torch.tensor(new long[] { 1 }))));
        try
        {
            var model = StateDictAdapter.FromStateDict(tensors);
            Assert.Equal(new[] { "conv1.weight", "linear.weight", "zero.weight" }, model.Tensors.OfType<QuantizedTensor>().Select(t => t.Name));
            Assert.Equal(new[] { 4, 5, 6, 7 }, ((QuantizedTensor)model["zero.weight"]).Patches.Select(p => p.Index)); // the −0.0 row
            Assert.IsType<RawTensor>(model["bn1.num_batches_tracked"]);
            Assert.Equal(EcqxDType.Int64, model["bn1.num_batches_tracked"].DType);
            Assert.Empty(model["bn1.num_batches_tracked"].Shape);
            var back = StateDictAdapter.ToStateDict(EcqxModelFile.Parse(EcqxModelFile.Serialize(model), "mem").Model);
            try
            {
                for (int i = 0; i < tensors.Count; i++) Assert.Equal(Bytes(tensors[i].Value), Bytes(back.ElementAt(i).Value));
            }
            finally
            {
                back.Dispose();
            }
        }
        finally
        {
            foreach (var kv in tensors) kv.Value.Dispose();
        }
    }

    [Fact]
    public void MalformedMetadataIsReported()
    {
        using var w = torch.zeros(2, 2);
        var tensors = new[] { new KeyValuePair<string, Tensor>("w", w) };
        Assert.Contains("not in the file", Assert.Throws<InvalidDataException>(() =>
            StateDictAdapter.FromStateDict(tensors, new Dictionary<string, string> { ["ecqx.step.v"] = "0.1", ["ecqx.bits.v"] = "4" })).Message);
        Assert.Contains("ecqx.bits.w", Assert.Throws<InvalidDataException>(() =>
            StateDictAdapter.FromStateDict(tensors, new Dictionary<string, string> { ["ecqx.step.w"] = "0.1" })).Message);
        Assert.Contains("'abc'", Assert.Throws<InvalidDataException>(() =>
            StateDictAdapter.FromStateDict(tensors, new Dictionary<string, string> { ["ecqx.step.w"] = "abc", ["ecqx.bits.w"] = "4" })).Message);
        Assert.Contains("bit width", Assert.Throws<InvalidDataException>(() =>
            StateDictAdapter.FromStateDict(tensors, new Dictionary<string, string> { ["ecqx.step.w"] = "0.1", ["ecqx.bits.w"] = "40" })).Message);
    }

    [Fact]
    public void PretrainedResNet20QuantizedTo4BitsCompressesBelowItsEntropyBound()
    {
        // Spec §a.3 codebooks (Δ = p99.9(|W|)/7, signed 4-bit) with nearest assignment and a crude magnitude
        // pruning to make the levels ECQ-like sparse.
        using var document = SafeTensors.Load(TestPaths.PretrainedResNet20);
        var metadata = new Dictionary<string, string>();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        using var scope = torch.NewDisposeScope();
        foreach (var (name, w) in document.Tensors)
        {
            if (w.dim() < 2)
            {
                tensors.Add(new(name, w));
                continue;
            }
            double p999 = w.abs().flatten().to(float64).quantile(0.999).item<double>();
            float step = (float)(p999 / 7);
            var k = (w / step).round().clamp(-8, 7);
            k = k.where(k.abs().gt(1), torch.zeros_like(k));
            tensors.Add(new(name, k * step));
            metadata["ecqx.step." + name] = step.ToString("R", CultureInfo.InvariantCulture);
            metadata["ecqx.bits." + name] = "4";
        }
        var model = StateDictAdapter.FromStateDict(tensors, metadata);
        Assert.Equal(20, model.Tensors.OfType<QuantizedTensor>().Count());
        Assert.Equal(268_336, model.Tensors.OfType<QuantizedTensor>().Sum(t => (long)t.ElementCount));
        Assert.All(model.Tensors.OfType<QuantizedTensor>(), t => Assert.Empty(t.Patches));

        var report = CompressionReport.Measure(model);
        Assert.Equal(1_084_392, report.Fp32Bytes); // spec §d.4
        Assert.True(report.LevelBytes < report.LevelEntropyBoundBytes, $"{report.LevelBytes} vs bound {report.LevelEntropyBoundBytes:F0}");
        Assert.True(report.LevelBytes < report.ZstdBytes && report.LevelBytes < report.BrotliBytes && report.LevelBytes < report.DeflateBytes);
        Assert.Equal(report.FileBytes, report.LevelBytes + report.RawBytes + report.OverheadBytes);
        Assert.Equal((double)report.Fp32Bytes / report.FileBytes, report.CompressionFactor, 12);
        Assert.True(report.CompressionFactor > 8);

        var back = StateDictAdapter.ToStateDict(EcqxModelFile.Parse(EcqxModelFile.Serialize(model), "mem").Model);
        for (int i = 0; i < tensors.Count; i++) Assert.Equal(Bytes(tensors[i].Value), Bytes(back.ElementAt(i).Value));
        back.Dispose();
    }
}
