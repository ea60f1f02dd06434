using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using ECQx.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>
/// NNR bitstreams against NNCodec itself (the vendored reference software, see <see cref="NnCodec"/>): what ecqx writes,
/// <c>nnc.decompress</c> reads back to exactly the same levels, names and shapes; what <c>nnc.compress</c> writes
/// (integer tensors, <c>use_dq=False</c>), ecqx reads to exactly NNCodec's levels.
/// </summary>
public class NnrInteropTests(ITestOutputHelper output)
{
    /// <summary>The pretrained ResNet20 quantized one-shot at <paramref name="bits"/> bits.</summary>
    private static EcqxModel ResNet20(int bits)
    {
        TorchRuntime.EnsureLoaded();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var quantized = StateDictQuantizer.Quantize(doc.Tensors.ToList(), new EcqQuantizerSettings { Bits = bits });
        return EcqxModel.From(quantized);
    }

    /// <summary>Edge cases: 1-element tensors, an all-zero tensor, a tensor of one level, int16-range levels.</summary>
    private static List<(string Name, long[] Shape, int[] Values)> EdgeCases()
    {
        var random = new Random(25);
        return
        [
            ("one.weight", [1], [-3]),
            ("one2d.weight", [1, 1], [7]),
            ("zeros.weight", [16, 3, 3, 3], new int[16 * 27]),
            ("single_level.weight", [8, 5], Enumerable.Repeat(-2, 40).ToArray()),
            ("int16.weight", [32, 17], Enumerable.Range(0, 32 * 17).Select(i => i < 2 ? (i == 0 ? short.MinValue : short.MaxValue) : random.Next(short.MinValue, short.MaxValue + 1)).ToArray()),
            ("bias", [5], [0, 1, -1, 1000, -1000]),
        ];
    }

    private static void AssertNnCodecHasTheModel(EcqxModel model, Dictionary<string, NnCodecTensor> decoded)
    {
        Assert.Equal(model.Tensors.Select(t => t.Name), decoded.Keys);
        foreach (var tensor in model.Tensors)
        {
            var d = decoded[tensor.Name];
            Assert.Equal(tensor.Shape.Count == 0 ? [1L] : tensor.Shape.ToArray(), d.Shape);
            switch (tensor)
            {
                case QuantizedTensor q:
                    Assert.Equal("int32", d.DType);
                    Assert.True(q.Levels.ToArray().Select(v => (long)v).SequenceEqual(d.Values), $"levels of {q.Name} differ");
                    break;
                case RawTensor { DType: EcqxDType.Float32 } r:
                    // Float tensors travel as int32 bit patterns (−0.0 as +0.0, restored by the ecqx note).
                    Assert.Equal("int32", d.DType);
                    byte[] data = r.Data.ToArray();
                    Assert.Equal(Enumerable.Range(0, r.ElementCount).Select(i => BitConverter.ToInt32(data, 4 * i) is var b && b == int.MinValue ? 0L : b), d.Values);
                    break;
                case RawTensor { DType: EcqxDType.Int64 } r:
                    Assert.Equal("int32", d.DType);
                    byte[] ints = r.Data.ToArray();
                    Assert.Equal(Enumerable.Range(0, r.ElementCount).Select(i => BitConverter.ToInt64(ints, 8 * i)), d.Values);
                    break;
            }
        }
    }

    [NnCodecFact]
    public void NnCodecDecodesWhatEcqxWrites()
    {
        string dir = TestPaths.NewTempDir();
        var models = new List<EcqxModel>();
        var paths = new List<string>();
        foreach (int bits in new[] { 2, 3, 4, 5 })
        {
            models.Add(ResNet20(bits));
            paths.Add(Path.Combine(dir, $"resnet20-{bits}bit.nnr"));
            NnrModelFile.Write(paths[^1], models[^1]);
        }
        float[] floats = [1.5f, -0f, BitConverter.Int32BitsToSingle(int.MaxValue), -3e-39f, float.MaxValue, float.NegativeInfinity];
        models.Add(new EcqxModel(EdgeCases().Select(c => (EcqxTensor)new RawTensor(c.Name, EcqxDType.Int32, c.Shape,
            c.Values.SelectMany(BitConverter.GetBytes).ToArray())).Append(new RawTensor("floats", EcqxDType.Float32, [6],
            floats.SelectMany(BitConverter.GetBytes).ToArray())).ToList()));
        paths.Add(Path.Combine(dir, "edge-cases.nnr"));
        NnrModelFile.Write(paths[^1], models[^1], NnrWriteOptions.Default with { OptimizeContextInitialization = false });

        var decoded = NnCodec.Decode(dir, [.. paths]);
        for (int i = 0; i < models.Count; i++) AssertNnCodecHasTheModel(models[i], decoded[i]);
    }

    [NnCodecFact]
    public void EcqxReadsWhatNnCodecWrites()
    {
        string dir = TestPaths.NewTempDir();
        var resnet = ResNet20(4);
        var levels = resnet.Tensors.OfType<QuantizedTensor>().Select(q => (q.Name, q.Shape.ToArray(), q.Levels.ToArray())).ToList();
        var edge = EdgeCases();
        var bitstreams = NnCodec.Encode(dir, levels, edge);
        foreach (var (bitstream, expected) in bitstreams.Zip(new[] { levels, edge }))
        {
            var contents = NnrModelFile.ReadDetailed(bitstream);
            Assert.False(contents.HasEcqxNote);
            Assert.Equal(expected.Select(e => e.Item1), contents.Model.Tensors.Select(t => t.Name));
            foreach (var (name, shape, values) in expected)
            {
                var t = Assert.IsType<RawTensor>(contents.Model[name]);
                Assert.Equal(EcqxDType.Int32, t.DType);
                Assert.Equal(shape, t.Shape);
                byte[] data = t.Data.ToArray();
                Assert.True(values.SequenceEqual(Enumerable.Range(0, values.Length).Select(i => BitConverter.ToInt32(data, 4 * i))), $"levels of {name} differ");
            }
            Assert.All(contents.Tensors, u => Assert.Equal(NnrPayloadType.Int, u.PayloadType));
        }

        // Sizes side by side for the same levels: NNCodec's data units, ecqx's NNR data units, and the whole files.
        var ours = NnrModelFile.Parse(NnrModelFile.Serialize(new EcqxModel(resnet.Tensors.OfType<QuantizedTensor>().ToList())), "ours");
        var theirs = NnrModelFile.ReadDetailed(bitstreams[0]);
        long ourUnits = ours.Tensors.Sum(t => t.UnitBytes), theirUnits = theirs.Tensors.Sum(t => t.UnitBytes);
        output.WriteLine($"ResNet20 4 bit levels: NNCodec {theirs.FileBytes} B ({theirUnits} B in data units), ecqx NNR {ours.FileBytes} B ({ourUnits} B in data units)");
        Assert.InRange(ourUnits, theirUnits * 0.98, theirUnits * 1.02);
    }

    [NnCodecFact]
    public void EcqxReadsTheFloatTensorsNnCodecQuantizesItself()
    {
        string dir = TestPaths.NewTempDir();
        var random = new Random(15);
        float[] weight = Enumerable.Range(0, 12 * 9).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray();
        float[] bias = Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble()).ToArray();
        var model = new List<(string, long[], Array)> { ("conv.weight", [12, 9], weight), ("conv.bias", [12], bias) };
        string bitstream = NnCodec.Encode(dir, model)[0];
        var theirs = NnCodec.Decode(dir, bitstream)[0];
        var contents = NnrModelFile.ReadDetailed(bitstream);
        Assert.All(contents.Tensors, u => Assert.Equal(NnrPayloadType.Float, u.PayloadType));
        foreach (var (name, shape, _) in model)
        {
            var q = Assert.IsType<QuantizedTensor>(contents.Model[name]);
            Assert.Equal(shape, q.Shape);
            Assert.Equal("float32", theirs[name].DType);
            var ours = q.Levels.ToArray().Select(l => (long)BitConverter.SingleToUInt32Bits(QuantizedTensor.GridValue(l, q.Step)));
            Assert.Equal(theirs[name].Values, ours);
        }
    }
}
