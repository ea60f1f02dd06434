using ECQx.Cli.Verbs;
using ECQx.IO;
using ECQx.Quantization;
using ECQx.Training;
using Spectre.Console;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

[Collection(GlobalStateCollection.Name)]
public class QuantizeCliTests
{
    private static (int Exit, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 1000; // long error lines (paths, fingerprints) stay on one line
        int exit = new QuantizeVerb().Build(console).Parse(args).Invoke();
        return (exit, writer.ToString());
    }

    [Fact]
    public void OneShotFourBitEcqOfThePretrainedResNet20IsOnItsGrids()
    {
        string dir = TestPaths.NewTempDir();
        string output = Path.Combine(dir, "q.safetensors");
        var (exit, text) = Run("--epochs", "0", "--bits", "4", "--weights", TestPaths.PretrainedResNet20, "--out", output);
        Assert.True(exit == 0, text);
        using var original = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var doc = SafeTensors.Load(output);
        Assert.Equal(original.Tensors.Keys, doc.Tensors.Keys);
        int quantized = 0;
        foreach (var (name, t) in doc.Tensors)
        {
            if (t.ndim < 2) { Assert.True(t.Same(original.Tensors[name]), $"{name} changed"); continue; }
            quantized++;
            var info = QuantizedStateDict.Read(doc.Metadata, name);
            Assert.True(info.HasValue, $"no step metadata for {name}");
            var (step, bits) = info.Value;
            Assert.Equal(4, bits);
            Assert.Equal(step.ToString("R", System.Globalization.CultureInfo.InvariantCulture), doc.Metadata[QuantizedStateDict.StepKey(name)]);
            var k = (t.to(float64) / step).round();
            Assert.True((k * step).to(float32).Same(t), $"{name} is not on its grid");
            Assert.True(k.min().item<double>() >= -8 && k.max().item<double>() <= 15, $"{name} levels out of the 4-bit range");
            Assert.True(torch.unique(k).Item1.numel() <= 16);
        }
        Assert.Equal(20, quantized);
        Assert.Contains("one-shot ECQ", text);
    }

    [Fact]
    public void OneShotWithARelevanceFileRunsEcqxAndRejectsMismatches()
    {
        string dir = TestPaths.NewTempDir();
        using var original = SafeTensors.Load(TestPaths.PretrainedResNet20);
        var rel = original.Tensors.Where(kv => kv.Value.ndim >= 2).Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.abs() + 0.01f)).ToList();
        string good = Path.Combine(dir, "r.safetensors");
        SafeTensors.Save(good, rel);
        var (exit, text) = Run("--epochs", "0", "--weights", TestPaths.PretrainedResNet20, "--relevance-file", good, "--out", Path.Combine(dir, "q.safetensors"));
        Assert.True(exit == 0, text);
        Assert.Contains("one-shot ECQx", text);

        string missing = Path.Combine(dir, "missing.safetensors");
        SafeTensors.Save(missing, rel.Skip(1));
        (exit, text) = Run("--epochs", "0", "--weights", TestPaths.PretrainedResNet20, "--relevance-file", missing, "--out", Path.Combine(dir, "q2.safetensors"));
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("missing", text);
        Assert.Contains(rel[0].Key, text);

        string wrongShape = Path.Combine(dir, "shape.safetensors");
        SafeTensors.Save(wrongShape, rel.Select((kv, i) => i == 0 ? new KeyValuePair<string, Tensor>(kv.Key, kv.Value.reshape(-1)) : kv));
        (exit, text) = Run("--epochs", "0", "--weights", TestPaths.PretrainedResNet20, "--relevance-file", wrongShape, "--out", Path.Combine(dir, "q3.safetensors"));
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("shape", text);
        Assert.False(File.Exists(Path.Combine(dir, "q2.safetensors")) || File.Exists(Path.Combine(dir, "q3.safetensors")));
    }

    [Theory]
    [InlineData("--bits", "9", "bits")]
    [InlineData("--bits", "0", "bits")]
    [InlineData("--lambda", "-0.5", "--lambda")]
    [InlineData("--p", "1.5", "--p")]
    public void BadQuantizationOptionsGiveClearErrors(string option, string value, string mentioned)
    {
        string dir = TestPaths.NewTempDir();
        var (exit, text) = Run("--epochs", "0", "--weights", TestPaths.PretrainedResNet20, option, value, "--out", Path.Combine(dir, "q.safetensors"));
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("error:", text);
        Assert.Contains(mentioned, text);
        Assert.Contains(value, text);
    }

    [Fact]
    public void QuantizeRunsEcqxWithANamedRelevanceMethod()
    {
        string dir = TestPaths.NewTempDir();
        var (exit, text) = Run("--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "1", "--batch-size", "128", "--max-batches", "2",
            "--threads", "1", "--out-dir", dir, "--relevance", "gradxweight");
        Assert.True(exit == 0, text);
        Assert.Contains("ECQx (gradxweight)", text);
        (exit, text) = Run("--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "1", "--out-dir", dir, "--relevance", "nonsense");
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("nonsense", text);
    }

    [Fact]
    public void EpochsZeroWithoutWeightsIsAnError()
    {
        var (exit, text) = Run("--epochs", "0");
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("--weights", text);
    }

    [Fact]
    public void QuantizeTrainsOnSyntheticDataAndResumes()
    {
        string dir = TestPaths.NewTempDir();
        string[] args = { "--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "1", "--batch-size", "128", "--max-batches", "4",
            "--threads", "1", "--out-dir", dir, "--lr", "0.01" };
        var (exit, text) = Run(args);
        Assert.True(exit == 0, text);
        Assert.True(File.Exists(Path.Combine(dir, "quantized.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName)));
        var rows = MetricsLog.FromJsonLines(File.ReadAllText(Path.Combine(dir, "metrics.jsonl")));
        Assert.Equal(new[] { TrainingPhase.Initial, TrainingPhase.Quantize }, rows.Select(r => r.Phase));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length);
        // resuming a finished run trains nothing, and says so
        (exit, text) = Run(args.Append("--resume").ToArray());
        Assert.True(exit == 0, text);
        Assert.Equal(2, MetricsLog.FromJsonLines(File.ReadAllText(Path.Combine(dir, "metrics.jsonl"))).Count);
        Assert.Contains($"the run in {dir} had already finished 1 epoch(s) and --epochs is 1; nothing was trained", text);
        // with more epochs it trains on
        (exit, text) = Run(args.Select(a => a == "1" ? "2" : a).Append("--resume").ToArray()); // --epochs 2 (the only "1")
        Assert.True(exit == 0, text);
        Assert.Equal(new[] { 0, 1, 2 }, MetricsLog.FromJsonLines(File.ReadAllText(Path.Combine(dir, "metrics.jsonl"))).Select(r => r.Epoch));
        Assert.DoesNotContain("nothing was trained", text);
    }

    [Fact]
    public void ResumeOnAnotherDatasetOrDataFolderIsRefusedNamingOldAndNew()
    {
        string dir = TestPaths.NewTempDir();
        string[] common = { "--model", "mlp_28x28", "--epochs", "1", "--batch-size", "64", "--max-batches", "3", "--checkpoint-every", "1",
            "--threads", "1", "--out-dir", dir };
        var (exit, text) = Run(common.Concat(new[] { "--dataset", "fashion-mnist" }).ToArray());
        Assert.True(exit == 0, text);
        string checkpoint = Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName);
        byte[] before = File.ReadAllBytes(checkpoint);

        (exit, text) = Run(common.Concat(new[] { "--dataset", "synthetic", "--resume" }).ToArray());
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains($"{checkpoint}: the checkpoint was trained on other data", text);
        Assert.Contains("(dataset 'fashion-mnist' then, 'synthetic blobs' now)", text);

        // a copy of the bundled sample with one pixel changed: same name and sizes, other content
        string sample = ECQx.Data.Idx.FashionMnist.FindBundledSample()!;
        string copy = TestPaths.NewTempDir();
        foreach (string f in Directory.GetFiles(sample, "*.gz")) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        string images = Path.Combine(copy, "t10k-images-idx3-ubyte.gz");
        var idx = ECQx.Data.Idx.IdxFile.Read(images);
        idx.Data[123] ^= 0x40;
        ECQx.Data.Idx.IdxFile.Write(images, idx.Shape, idx.Data, gzip: true);
        (exit, text) = Run(common.Concat(new[] { "--dataset", "fashion-mnist", "--data-dir", copy, "--resume" }).ToArray());
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Matches(@"data\.content = sha256:[0-9a-f]{16} then, data\.content = sha256:[0-9a-f]{16} now \(dataset 'fashion-mnist' then, 'fashion-mnist' now\)", text);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));

        // the unchanged copy is the same data
        File.Copy(Path.Combine(sample, "t10k-images-idx3-ubyte.gz"), images, overwrite: true);
        (exit, text) = Run(common.Concat(new[] { "--dataset", "fashion-mnist", "--data-dir", copy, "--resume" }).ToArray());
        Assert.True(exit == 0, text);
    }

    [ECQx.Tests.IO.TmpfsFact]
    public void AReadOnlyOrFullOutputFolderIsAnErrorLine()
    {
        foreach (bool readOnly in new[] { true, false })
        {
            using var disk = ECQx.Tests.IO.TmpfsMount.Create(readOnly ? 64 * 1024 : 24 * 1024, readOnly);
            var (exit, text) = Run("--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "1", "--batch-size", "128", "--max-batches", "2",
                "--threads", "1", "--out-dir", disk.Path);
            Assert.Equal(CliRun.IoFailure, exit);
            Assert.Contains("error: cannot write " + disk.Path, text);
            Assert.Contains(readOnly ? "Read-only file system" : "No space left on device", text);
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain(Directory.GetFiles(disk.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void OneShotChecksTheWeightsAgainstAnExplicitModel()
    {
        string dir = TestPaths.NewTempDir();
        string output = Path.Combine(dir, "q.safetensors");
        var (exit, text) = Run("--epochs", "0", "--model", "mlp_28x28", "--weights", TestPaths.PretrainedResNet20, "--out", output);
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("resnet20-cifar10.safetensors", text);
        Assert.Contains("mlp_28x28", text);
        Assert.Contains("missing key(s)", text);
        Assert.False(File.Exists(output));

        // the right model passes; a shape mismatch names the tensor and both shapes
        (exit, text) = Run("--epochs", "0", "--model", "resnet20", "--weights", TestPaths.PretrainedResNet20, "--out", output);
        Assert.True(exit == 0, text);
        string tenClasses = Path.Combine(dir, "r.safetensors");
        using (var doc = SafeTensors.Load(TestPaths.PretrainedResNet20))
        {
            var changed = doc.Tensors.ToDictionary(kv => kv.Key, kv => kv.Key == "linear.weight" ? kv.Value.narrow(0, 0, 9).contiguous() : kv.Value);
            changed["linear.bias"] = changed["linear.bias"].narrow(0, 0, 9).contiguous();
            SafeTensors.Save(tenClasses, changed);
        }
        (exit, text) = Run("--epochs", "0", "--model", "resnet20", "--weights", tenClasses, "--out", Path.Combine(dir, "q2.safetensors"));
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("'linear.weight'", text);
        Assert.Contains("[9, 64]", text);
    }

    [Fact]
    public void ResumeSaysWhereItStartsAndRefusesChangedBitsAndLambda()
    {
        string dir = TestPaths.NewTempDir();
        string[] args = { "--dataset", "synthetic", "--model", "mlp_28x28", "--epochs", "1", "--batch-size", "128", "--max-batches", "2",
            "--threads", "1", "--out-dir", dir, "--resume" };
        var (exit, text) = Run(args);
        Assert.True(exit == 0, text);
        Assert.Contains($"--resume: no checkpoint in {dir}; starting from scratch", text);

        (exit, text) = Run(args.Concat(new[] { "--bits", "2", "--lambda", "0.5" }).ToArray());
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("written with bits = 4, but this run has bits = 2", text);

        (exit, text) = Run(args.Concat(new[] { "--lambda", "0.5" }).ToArray());
        Assert.Equal(CliRun.BadInput, exit);
        Assert.Contains("ecq.lambda = 0.05, but this run has ecq.lambda = 0.5", text);

        (exit, text) = Run(args);
        Assert.True(exit == 0, text);
        Assert.Contains("resuming from " + Path.Combine(dir, QuantizationAwareTrainer.CheckpointFileName), text);
    }
}
