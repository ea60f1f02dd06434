using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using ECQx.Quantization;
using Xunit;

namespace ECQx.Tests.Coding.Nnr;

/// <summary>
/// NNCodec's own sizes (<see cref="NnCodecInstallation.Measure"/>): the levels' bitstream is the one <c>nnc.compress</c>
/// writes for those levels given directly, floats get their own stream, and the model size adds 4 bytes per step.
/// </summary>
public class NnCodecInstallationTests
{
    private static int Run(params string[] args) => ECQx.Cli.Program.Main(args);

    private static EcqxModel MixedModel()
    {
        var random = new Random(7);
        int[] levels = Enumerable.Range(0, 24 * 9).Select(_ => random.Next(4) == 0 ? random.Next(-3, 4) : 0).ToArray();
        float[] bias = Enumerable.Range(0, 24).Select(i => (float)(0.01 * i - 0.1)).ToArray();
        long[] mask = Enumerable.Range(0, 6).Select(i => (long)(i % 2)).ToArray();
        return new EcqxModel(
        [
            new QuantizedTensor("conv.weight", [24, 1, 3, 3], levels, 0.0123, 3, -4),
            new RawTensor("conv.bias", EcqxDType.Float32, [24], bias.SelectMany(BitConverter.GetBytes).ToArray()),
            new RawTensor("mask", EcqxDType.Int64, [6], mask.SelectMany(BitConverter.GetBytes).ToArray()),
            new RawTensor("num_batches_tracked", EcqxDType.Int64, [], BitConverter.GetBytes(5L)),
        ], new Dictionary<string, string>());
    }

    [NnCodecFact]
    public void TheLevelStreamIsNnCodecsBitstreamOfTheSameLevelsAndTheModelSizeAddsFourBytesPerStep()
    {
        string dir = TestPaths.NewTempDir();
        var model = MixedModel();
        var sizes = NnCodec.Opened.Measure(model, dir);

        // The same integer tensors (levels and the 1-D int mask; the scalar left out) given to nnc.compress directly.
        var q = (QuantizedTensor)model.Tensors[0];
        string direct = NnCodec.Encode(dir, [("conv.weight", [24, 1, 3, 3], q.Levels.ToArray()), ("mask", [6], [0, 1, 0, 1, 0, 1])])[0];
        Assert.Equal(new FileInfo(direct).Length, sizes.LevelBytes);
        Assert.True(sizes.FloatBytes > 0, "the float bias has its own bitstream");
        Assert.Equal(1, sizes.QuantizedTensors);
        Assert.Equal(sizes.LevelBytes + sizes.FloatBytes + 4, sizes.PaperBytes);
        Assert.Empty(Directory.GetDirectories(dir, "ecqx-nncodec-*")); // its work folder is removed

        // Without float tensors there is no float stream.
        var levelsOnly = new EcqxModel([model.Tensors[0]], model.Metadata);
        Assert.Equal(0, NnCodec.Opened.Measure(levelsOnly, dir).FloatBytes);
    }

    [NnCodecFact]
    public void OnResNet20NnCodecsLevelStreamIsWithinHalfAPercentOfEcqxsNnrDataUnits()
    {
        // Two DeepCABAC encoders on the same levels (docs/nnr-bitstreams.md: 80,754 vs 81,121 B at 4 bit): close, not equal.
        TorchRuntime.EnsureLoaded();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var quantized = StateDictQuantizer.Quantize(doc.Tensors.ToList(), new EcqQuantizerSettings { Bits = 4 });
        var model = EcqxModel.From(quantized);
        var comparison = CodedSizeComparison.Measure(model, nncodec: NnCodec.Opened);
        var n = comparison.NnCodec!;
        var levelsOnly = new EcqxModel(model.Tensors.OfType<QuantizedTensor>().ToList<EcqxTensor>(), new Dictionary<string, string>());
        long ours = NnrModelFile.Serialize(levelsOnly).LongLength;
        Assert.InRange((double)n.LevelBytes / ours, 0.98, 1.02);
        Assert.Equal(model.Tensors.OfType<QuantizedTensor>().Count(), n.QuantizedTensors);
        Assert.Equal((double)comparison.Fp32Bytes / n.PaperBytes, comparison.NnCodecFactor!.Value, 12);
        // The float tensors (BN statistics, the FC bias) are ~2.8k values, coded near-losslessly: a few KB at most.
        Assert.InRange(n.FloatBytes, 1_000, 20_000);
    }

    [Fact]
    public void AFolderWithoutNnCodecIsAClearErrorNamingTheFolder()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "no-nncodec");
        var reason = NnCodecInstallation.WhyMissing(missing);
        Assert.NotNull(reason);
        if (File.Exists(NnCodecInstallation.DefaultPython)) Assert.Contains(Path.Combine(missing, "nncodec"), reason);
        var e = Assert.Throws<InvalidOperationException>(() => NnCodecInstallation.Open(missing));
        Assert.Equal(reason, e.Message);

        // The CLI: exit code 1 (an error line), no crash, no output file.
        string dir = TestPaths.NewTempDir();
        string nnr = Path.Combine(dir, "q.nnr");
        File.WriteAllBytes(nnr, NnrModelFile.Serialize(EcqxFileSamples.SmallModel()));
        Assert.Equal(1, Run("inspect", nnr, "--nncodec", missing));
    }

    [NnCodecFact]
    public void InspectAndCompressShowNnCodecsSizeWithTheOption()
    {
        string dir = TestPaths.NewTempDir();
        string nnr = Path.Combine(dir, "q.nnr"), ecqx = Path.Combine(dir, "q.ecqx");
        File.WriteAllBytes(nnr, NnrModelFile.Serialize(EcqxFileSamples.SmallModel()));
        File.WriteAllBytes(ecqx, EcqxModelFile.Serialize(EcqxFileSamples.SmallModel()));
        Assert.Equal(0, Run("inspect", nnr, "--nncodec", NnCodec.Opened.Folder));
        Assert.Equal(0, Run("inspect", ecqx, "--nncodec", NnCodec.Opened.Folder, "--no-baselines"));
    }

    [Fact]
    public void TheDriverIsWrittenFromTheAssemblyAndIsPython()
    {
        string path = NnCodecInstallation.DriverPath;
        Assert.True(File.Exists(path));
        string text = File.ReadAllText(path);
        Assert.Contains("def size(src, dst):", text);
        Assert.Contains("nnc.compress", text);
        Assert.Same(path, NnCodecInstallation.DriverPath);
    }
}
