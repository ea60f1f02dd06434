using ECQx.Data;
using ECQx.Quantization;
using ECQx.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

[Collection(GlobalStateCollection.Name)]
public class EcqTrainingTests
{
    private static TrainerOptions Opts(int epochs) => new()
    {
        Epochs = epochs, BatchSize = 32, LearningRate = 1e-2, Seed = 5, Threads = 1, Patience = 0,
    };

    /// <summary>An FP-trained MLP on the blobs (shared by the tests below; trained once per call, ~0.3 s).</summary>
    private static (nn.Module<Tensor, Tensor> Model, double Accuracy) TrainedMlp(DatasetSplits data)
    {
        var model = TrainingFixtures.Mlp(3);
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(4));
        var r = trainer.Run();
        return (model, r.History[^1].TestAccuracy);
    }

    [Fact]
    public void FourBitEcqKeepsAccuracyWithinFivePoints()
    {
        using var data = TrainingFixtures.Blobs(shuffleSeed: 5);
        var (model, fpAcc) = TrainedMlp(data);
        Assert.True(fpAcc > 90, $"FP accuracy {fpAcc}");
        using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 4 });
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(2), q);
        var r = trainer.Run();
        Assert.Equal(TrainingPhase.Initial, r.History[0].Phase);
        Assert.Equal(3, r.History.Count);
        double qAcc = r.History[^1].TestAccuracy;
        Assert.True(qAcc >= fpAcc - 5, $"4-bit ECQ accuracy {qAcc} vs FP {fpAcc}");
        // the model's quantized tensors use at most 16 levels, all multiples of their step
        foreach (var name in trainer.QuantizedNames)
        {
            var w = model.state_dict()[name].to(float64);
            var step = trainer.Codebooks[name].Step;
            var k = (w / step).round();
            Assert.True((k * step).to(float32).Same(model.state_dict()[name]), $"{name} off its grid");
            Assert.True(torch.unique(k).Item1.numel() <= 16);
        }
        Assert.True(r.History[^1].Layers.All(l => l.Histogram.Sum() == l.Count));

        // The trainer's file is the quantized model's file: loading it gives the levels and codebooks the trainer holds.
        string path = Path.Combine(TestPaths.NewTempDir(), "q.safetensors");
        trainer.SaveQuantizedStateDict(path, new Dictionary<string, string> { ["note"] = "trained" });
        using var held = trainer.ToQuantizedModel();
        using var loaded = QuantizedModel.Load(path);
        Assert.Equal("trained", loaded.Metadata["note"]);
        foreach (var (a, b) in held.Tensors.Zip(loaded.Tensors))
        {
            Assert.Equal((a.Name, a.IsQuantized), (b.Name, b.IsQuantized));
            Assert.True(a.Values.Same(b.Values), a.Name);
            if (a.IsQuantized) Assert.True(a.Levels!.Same(b.Levels!) && a.Codebook!.Step == b.Codebook!.Step, a.Name);
        }
        // The trainer streams its file from the model; it is byte for byte the file the quantized model writes.
        string viaModel = Path.Combine(TestPaths.NewTempDir(), "held.safetensors");
        held.Save(viaModel, new Dictionary<string, string> { ["note"] = "trained" });
        Assert.Equal(File.ReadAllBytes(viaModel), File.ReadAllBytes(path));

        // A weight moved off its grid is refused, naming its tensor, and nothing is written.
        string moved = trainer.QuantizedNames[0];
        using (torch.no_grad())
        using (var first = model.state_dict()[moved].view(-1).narrow(0, 0, 1))
            first.add_(trainer.Codebooks[moved].Step * 0.37);
        string offGrid = Path.Combine(TestPaths.NewTempDir(), "off.safetensors");
        var e = Assert.Throws<ArgumentException>(() => trainer.SaveQuantizedStateDict(offGrid));
        Assert.Contains(moved, e.Message);
        Assert.False(File.Exists(offGrid));
    }

    [Fact]
    public void SparsityRisesWithLambda()
    {
        using var data = TrainingFixtures.Blobs(shuffleSeed: 5);
        var (model, _) = TrainedMlp(data);
        var state = model.state_dict().ToList();
        var sparsities = new List<double>();
        foreach (double lambda in new[] { 0.0, 0.02, 0.1, 0.5 })
        {
            using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 4, Ecq = EcqOptions.Default with { Lambda = lambda } });
            using var r = StateDictQuantizer.Quantize(state, q.Settings);
            sparsities.Add(r.Sparsity);
        }
        for (int i = 1; i < sparsities.Count; i++) Assert.True(sparsities[i] >= sparsities[i - 1], string.Join(", ", sparsities));
        Assert.True(sparsities[^1] > sparsities[0] + 0.1, string.Join(", ", sparsities));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ABatchReportsTheZeroFractionOfTheQuantizedWeights(bool withRelevance)
    {
        // The step's sparsity comes from the quantizer's histograms, not from counting the weights: it must still be the
        // count of zeros in the model's quantized tensors after the batch, exactly.
        using var data = TrainingFixtures.Blobs(shuffleSeed: 5);
        var (model, _) = TrainedMlp(data);
        using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 3, Ecq = EcqOptions.Default with { Lambda = 0.2 } });
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(1) with { MaxBatchesPerEpoch = 4 }, q,
            withRelevance ? new GlobalRandomRelevance() : null);
        var seen = new List<(double Reported, double Counted)>();
        trainer.BatchCompleted += (_, b) =>
        {
            var state = model.state_dict();
            long zeros = trainer.QuantizedNames.Sum(n => state[n].eq(0).sum().item<long>());
            long total = trainer.QuantizedNames.Sum(n => state[n].numel());
            seen.Add((b.QuantizedSparsity, (double)zeros / total));
        };
        trainer.Run();
        Assert.Equal(4, seen.Count);
        Assert.All(seen, s => Assert.Equal(s.Counted, s.Reported));
        Assert.Contains(seen, s => s.Counted > 0.05);
    }

    [Fact]
    public void EcqxLayerSparsityLiesInItsWindow()
    {
        using var data = TrainingFixtures.Blobs(shuffleSeed: 5);
        var (model, _) = TrainedMlp(data);
        const double p = 0.1;
        using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 4, Ecq = EcqOptions.Default with { Lambda = 0.2 }, Ecqx = EcqxOptions.Default with { P = p } });
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(1) with { MaxBatchesPerEpoch = 6 }, q, new GlobalRandomRelevance());
        int checkedLayers = 0;
        var r = trainer.Run();
        var last = r.History[^1];
        foreach (var l in last.Layers)
        {
            if (l.EcqSparsity <= p) continue;
            checkedLayers++;
            Assert.InRange(l.Sparsity, l.EcqSparsity - p - 1e-12, l.EcqSparsity + 1e-12);
        }
        Assert.True(checkedLayers > 0, "no layer had ECQ sparsity above p; raise Λ");
    }
}

[Collection(GlobalStateCollection.Name)]
public class EcqWeightQuantizerTests
{
    [Fact]
    public void ScaledGradientIsTheSignedCentroidOrOneWithAndWithoutTheCachedAssignment()
    {
        TorchRuntime.EnsureLoaded();
        using var g = new Generator(4);
        var w = torch.randn(new long[] { 8, 5 }, generator: g);
        var grad = torch.randn(new long[] { 8, 5 }, generator: g);
        using var q = new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 3 });
        var cb = q.CreateCodebook("w", w);
        var values = q.Quantize("w", w, cb, 40, null).Values.clone();
        var expected = grad * torch.where(values.eq(0), torch.ones_like(values), values);
        Assert.True(q.ScaleGradient("w", grad, values).Same(expected));            // cached assignment path
        Assert.True(q.ScaleGradient("other", grad, values).Same(expected));        // general path
        var shifted = values.clone(); shifted[0, 0] = shifted[0, 0] + cb.Step;   // differs from the cache
        var expected2 = grad * torch.where(shifted.eq(0), torch.ones_like(shifted), shifted);
        Assert.True(q.ScaleGradient("w", grad, shifted).Same(expected2));
    }

    [Fact]
    public void TrainersInitialQuantizationIsTheOneShotQuantizationWithPerTensorBits()
    {
        TorchRuntime.EnsureLoaded();
        var model = TrainingFixtures.Mlp(3);
        var names = model.named_parameters().Where(p => p.parameter.ndim >= 2).Select(p => p.name).ToList();
        Assert.True(names.Count >= 2, "the fixture MLP needs two weight matrices");
        var settings = new EcqQuantizerSettings
        {
            Bits = 2, Ecq = EcqOptions.Default with { Lambda = 0.1 }, BitsPerTensor = new Dictionary<string, int> { [names[0]] = 5 },
        };
        var before = model.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.detach().clone())).ToList();
        using var oneShot = StateDictQuantizer.Quantize(before, settings);
        using var q = new EcqWeightQuantizer(settings);
        using var trainer = new QuantizationAwareTrainer(model, null, new TrainerOptions { Epochs = 0, BatchSize = 32, Seed = 5, Threads = 1 }, q);
        trainer.Run();
        Assert.Equal(5, trainer.Codebooks[names[0]].Bits);
        Assert.Equal(2, trainer.Codebooks[names[1]].Bits);
        foreach (var name in names)
        {
            Assert.Equal(oneShot[name].Codebook.Step, trainer.Codebooks[name].Step);
            Assert.True(oneShot[name].Result.Values.Same(model.state_dict()[name]), $"{name}: trainer and one-shot differ");
        }
        Assert.Throws<ArgumentException>(() => new EcqWeightQuantizer(settings with { BitsPerTensor = new Dictionary<string, int> { [names[0]] = 9 } }));
    }

    [Fact]
    public void InvalidSettingsAreRejectedWithTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => new EcqWeightQuantizer(new EcqQuantizerSettings { Bits = 12 }));
        Assert.Contains("12", e.Message);
        e = Assert.Throws<ArgumentException>(() => new EcqWeightQuantizer(new EcqQuantizerSettings { Ecq = EcqOptions.Default with { Lambda = -1 } }));
        Assert.Contains("-1", e.Message);
    }
}
