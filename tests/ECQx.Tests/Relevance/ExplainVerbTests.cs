using ECQx.Cli;
using ECQx.Cli.Verbs;
using ECQx.IO;
using ECQx.Models;
using ECQx.Relevance;
using Spectre.Console;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary><c>ecqx explain</c> through the real command-line parser.</summary>
public class ExplainVerbTests
{
    private static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 300;
        var saved = ExplainVerb.Console;
        try
        {
            ExplainVerb.Console = console;
            return (Program.BuildRoot().Parse(args).Invoke(), writer.ToString());
        }
        finally { ExplainVerb.Console = saved; }
    }

    private static (string Dir, string Weights, string Inputs, nn.Module<Tensor, Tensor> Model, Tensor X) Fixture()
    {
        TorchRuntime.EnsureLoaded();
        string dir = TestPaths.NewTempDir();
        var model = ModelZoo.Create("mlp_28x28", seed: 11);
        string weights = Path.Combine(dir, "w.safetensors");
        SafeTensors.Save(weights, StateDictLoader.Targets(model));
        using var g = new Generator(12, CPU);
        var x = randn(new long[] { 5, 1, 28, 28 }, generator: g);
        string inputs = Path.Combine(dir, "x.npy");
        Npy.Write(inputs, x);
        model.eval();
        return (dir, weights, inputs, model, x);
    }

    [Fact]
    public void ChunkedRunEqualsOneBatchOfTheLibraryAndDefaultsToPredictedClasses()
    {
        var (dir, weights, inputs, model, x) = Fixture();
        string outPath = Path.Combine(dir, "r.safetensors"), xr = Path.Combine(dir, "xr.npy");
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs,
            "--method", "lrp:epsilon_plus_flat", "--batch-size", "3", "--out", outPath, "--input-relevance", xr);
        Assert.True(code == 0, output);
        Assert.Contains("lrp:epsilon_plus_flat", output);

        Tensor predicted;
        using (no_grad()) predicted = model.forward(x).argmax(1);
        using var direct = ECQx.Relevance.RelevanceMethods.Create("lrp:epsilon_plus_flat").Attribute(model, x, predicted, withInputRelevance: true);
        using var doc = SafeTensors.Load(outPath);
        Assert.Equal(direct.Parameters.Keys.OrderBy(k => k), doc.Tensors.Keys.OrderBy(k => k));
        foreach (var (name, r) in direct.Parameters)
            Assert.True(allclose(doc.Tensors[name], r, rtol: 1e-4, atol: 1e-7), name);
        Assert.Equal("predicted", doc.Metadata["targets"]);
        var inputRel = Npy.Read(xr);
        Assert.Equal(x.shape, inputRel.shape);
        Assert.True(allclose(inputRel, direct.Input!.reshape(x.shape), rtol: 1e-4, atol: 1e-7));
    }

    [Fact]
    public void ExplicitTargetsAndDeepLiftMeanReference()
    {
        var (dir, weights, inputs, model, x) = Fixture();
        string targets = Path.Combine(dir, "y.npy");
        var y = tensor(new long[] { 0, 9, 3, 3, 1 });
        Npy.Write(targets, y.to_type(ScalarType.Int32));
        string outPath = Path.Combine(dir, "d.safetensors"), xr = Path.Combine(dir, "dxr.npy");
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--targets", targets,
            "--method", "deeplift", "--reference", "mean", "--batch-size", "2", "--out", outPath, "--input-relevance", xr);
        Assert.True(code == 0, output);
        // Summation to delta over all inputs against the mean of all inputs (not per chunk).
        var x0 = x.mean(new long[] { 0 }, keepdim: true).expand_as(x);
        Tensor delta;
        using (no_grad())
            delta = model.forward(x).gather(1, y.view(-1, 1)).sub(model.forward(x0).gather(1, y.view(-1, 1))).view(-1).div(5);
        var rel = Npy.Read(xr).flatten(1).sum(1);
        Assert.True(allclose(rel, delta, rtol: 1e-3, atol: 1e-5), $"{rel.str()} vs {delta.str()}");
    }

    [Fact]
    public void BadInputsGiveExitCode2WithAMessage()
    {
        var (dir, weights, inputs, _, _) = Fixture();
        string outPath = Path.Combine(dir, "r.safetensors");
        var (c1, o1) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", Path.Combine(dir, "none.npy"), "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c1);
        Assert.Contains("none.npy", o1);
        var (c2, o2) = Run("explain", "--model", "resnet20", "--weights", weights, "--inputs", inputs, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c2);
        Assert.Contains("missing key", o2);
        var (c3, o3) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--method", "shap", "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c3);
        Assert.Contains("shap", o3);
        string badTargets = Path.Combine(dir, "t.npy");
        Npy.Write(badTargets, tensor(new long[] { 1, 2 }));
        var (c4, o4) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--targets", badTargets, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c4);
        Assert.Contains("5 class indices", o4);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void PretrainedResNet20Explains()
    {
        TorchRuntime.EnsureLoaded();
        string dir = TestPaths.NewTempDir();
        using var g = new Generator(13, CPU);
        string inputs = Path.Combine(dir, "x.npy");
        Npy.Write(inputs, randn(new long[] { 2, 3, 32, 32 }, generator: g));
        string outPath = Path.Combine(dir, "r.safetensors");
        var (code, output) = Run("explain", "--model", "resnet20", "--weights", TestPaths.PretrainedResNet20, "--inputs", inputs, "--out", outPath);
        Assert.True(code == 0, output);
        using var doc = SafeTensors.Load(outPath);
        Assert.Equal(59, doc.Tensors.Count); // every parameter: 19 convs, 19 BN γ and β, linear weight and bias
        Assert.Equal(new long[] { 64, 64, 3, 3 }, doc.Tensors["layer3.2.conv2.weight"].shape);
        Assert.True(doc.Tensors["layer3.2.conv2.weight"].abs().sum().item<float>() > 0);
        Assert.Equal("lrp:epsilon_plus_flat_bn_pass", doc.Metadata["method"]);
    }

    [Fact]
    public void FiniteButOverflowingInputsNameTheFileAndSample()
    {
        var (dir, weights, _, _, x) = Fixture();
        var big = x.clone();
        big[3] = full(new long[] { 1, 28, 28 }, 3e38f);
        string inputs = Path.Combine(dir, "big.npy"), outPath = Path.Combine(dir, "r.safetensors");
        Npy.Write(inputs, big);
        foreach (var method in new[] { "lrp", "deeplift", "gradxweight" })
        {
            var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--method", method, "--out", outPath);
            Assert.Equal(ExplainVerb.ExitBadInput, code);
            Assert.Contains("error:", output);
            Assert.Contains("big.npy: input 3 gives NaN or infinite logits", output);
            Assert.Contains("3E+38", output);
            Assert.DoesNotContain("   at ", output); // no stack trace
        }
        // explicit targets skip the prediction pass in the library, but not the check
        string targets = Path.Combine(dir, "y.npy");
        Npy.Write(targets, tensor(new long[] { 0, 1, 2, 3, 4 }));
        var (c2, o2) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--targets", targets, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c2);
        Assert.Contains("input 3 gives NaN or infinite logits", o2);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void ANonFiniteOrOverflowingDeepLiftReferenceIsCheckedLikeTheInputs()
    {
        var (dir, weights, inputs, _, x) = Fixture();
        string outPath = Path.Combine(dir, "r.safetensors");
        string nanRef = Path.Combine(dir, "nan-ref.npy");
        Npy.Write(nanRef, full(new long[] { 1, 28, 28 }, float.NaN));
        var (c1, o1) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--method", "deeplift", "--reference", nanRef, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c1);
        Assert.Contains("nan-ref.npy: reference sample 0 holds a non-finite value (NaN at element 0)", o1);

        var perInput = x.clone();
        perInput[2, 0, 5, 5] = float.PositiveInfinity;
        string infRef = Path.Combine(dir, "inf-ref.npy");
        Npy.Write(infRef, perInput);
        var (c2, o2) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--method", "deeplift", "--reference", infRef, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c2);
        Assert.True(o2.Contains($"inf-ref.npy: reference sample 2 holds a non-finite value ({float.PositiveInfinity.ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {5 * 28 + 5})"), o2);

        string bigRef = Path.Combine(dir, "big-ref.npy");
        Npy.Write(bigRef, full(new long[] { 1, 1, 28, 28 }, -3e38f));
        var (c3, o3) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--method", "deeplift", "--reference", bigRef, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, c3);
        Assert.Contains("big-ref.npy: reference sample 0 gives NaN or infinite logits", o3);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void NonFiniteInputsNameTheFirstBadSample()
    {
        var (dir, weights, _, _, x) = Fixture();
        var bad = x.clone();
        bad[1, 0, 0, 2] = float.NaN;
        string inputs = Path.Combine(dir, "nan.npy");
        Npy.Write(inputs, bad);
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", Path.Combine(dir, "r.safetensors"));
        Assert.Equal(ExplainVerb.ExitBadInput, code);
        Assert.Contains("nan.npy: input 1 holds a non-finite value (NaN at element 2)", output);
    }

    [Fact]
    public void Float64ValuesBeyondFloat32AreReportedAsOverflowNotAsNonFinite()
    {
        var (dir, weights, _, _, x) = Fixture();
        var big = x.to(float64);
        big[3, 0, 4, 7] = 1e300;
        string inputs = Path.Combine(dir, "big64.npy");
        Npy.Write(inputs, big);
        string outPath = Path.Combine(dir, "r.safetensors");
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, code);
        Assert.Contains("big64.npy: the float64 value 1E+300 at index [3, 0, 4, 7] overflows float32 (largest finite float32: ±3.4028235E+38)", output);
        Assert.DoesNotContain("non-finite", output);

        // a DeepLIFT reference is checked the same way; float64 values within range are accepted
        var reference = zeros(new long[] { 1, 28, 28 }, dtype: float64);
        reference[0, 27, 27] = -1e39;
        string refPath = Path.Combine(dir, "ref64.npy");
        Npy.Write(refPath, reference);
        string fine = Path.Combine(dir, "x64.npy");
        Npy.Write(fine, x.to(float64));
        (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", fine, "--method", "deeplift", "--reference", refPath, "--out", outPath);
        Assert.Equal(ExplainVerb.ExitBadInput, code);
        Assert.Contains("ref64.npy: the float64 value -1E+39 at index [0, 27, 27] overflows float32", output);
        (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", fine, "--out", outPath);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void AnOutputPathThatCannotBeWrittenIsAnErrorLineNotAStackTrace()
    {
        var (dir, weights, inputs, _, _) = Fixture();
        string plain = Path.Combine(dir, "plain");
        File.WriteAllText(plain, "x");
        string outPath = Path.Combine(plain, "r.safetensors"); // a folder path running through a regular file
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", outPath);
        Assert.Equal(CliRun.IoFailure, code);
        Assert.Contains($"error: cannot write {outPath}", output);
        Assert.DoesNotContain("   at ", output);
    }

    [ECQx.Tests.IO.TmpfsFact]
    public void ExplainOnAFullOrReadOnlyDiskFailsWithAnErrorLine()
    {
        var (dir, weights, inputs, _, _) = Fixture();
        using (var full = ECQx.Tests.IO.TmpfsMount.Create(16 * 1024))
        {
            string outPath = Path.Combine(full.Path, "r.safetensors");
            var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", outPath);
            Assert.Equal(CliRun.IoFailure, code);
            Assert.Contains($"error: cannot write {outPath}", output);
            Assert.Contains("No space left on device", output);
            Assert.Empty(Directory.GetFileSystemEntries(full.Path));
        }
        using (var ro = ECQx.Tests.IO.TmpfsMount.Create(64 * 1024, readOnly: true))
        {
            string outPath = Path.Combine(ro.Path, "r.safetensors");
            var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", outPath);
            Assert.Equal(CliRun.IoFailure, code);
            Assert.Contains($"error: cannot write {outPath}", output);
            Assert.Contains("Read-only file system", output);
        }
    }

    [ECQx.Tests.IO.RootFact]
    public void AnOutputThatIsADeviceIsRefusedAndLeftAlone()
    {
        var (dir, weights, inputs, _, _) = Fixture();
        string device = Path.Combine(dir, "null");
        Assert.Equal(0, ECQx.Tests.IO.TmpfsMount.Run("mknod", "-m", "666", device, "c", "1", "3").Code);
        var (code, output) = Run("explain", "--model", "mlp_28x28", "--weights", weights, "--inputs", inputs, "--out", device);
        Assert.Equal(CliRun.IoFailure, code);
        Assert.Contains($"error: cannot write {device}: it is a character device, not a regular file", output);
        Assert.Equal(ECQx.IO.FileKind.CharacterDevice, ECQx.IO.FileKinds.Of(device));
    }
}
