using Xunit;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

[Collection(GlobalStateCollection.Name)]
public class TrainerMechanicsTests
{
    private static TrainerOptions Opts(string? dir = null, int epochs = 2) => new()
    {
        Epochs = epochs, BatchSize = 32, LearningRate = 1e-2, Seed = 7, Threads = 1, OutputDirectory = dir, Patience = 0,
    };

    [Fact]
    public void FullPrecisionTrainingLearnsTheBlobs()
    {
        using var data = TrainingFixtures.Blobs();
        var model = TrainingFixtures.Mlp(3);
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(epochs: 4));
        var result = trainer.Run();
        Assert.Equal(4, result.History.Count);
        Assert.All(result.History, r => Assert.Equal(TrainingPhase.FullPrecision, r.Phase));
        Assert.True(result.History[^1].TestAccuracy > 90, $"accuracy {result.History[^1].TestAccuracy}");
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss);
    }

    [Fact]
    public void GradientReachesBackgroundAndModelStaysOnGrid()
    {
        using var data = TrainingFixtures.Blobs();
        var model = TrainingFixtures.Mlp(3);
        var q = new UniformGridQuantizer();
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(epochs: 1), q);
        var pretrained = TrainingFixtures.Snapshot(model);
        int checkedBatches = 0;
        trainer.BatchCompleted += (_, p) =>
        {
            foreach (var name in trainer.QuantizedNames)
            {
                var w = model.state_dict()[name];
                var cb = trainer.Codebooks[name];
                // every model weight equals one of its codebook's centroids
                var onGrid = (w.reshape(-1, 1) - cb.Centroids.reshape(1, -1)).abs().min(1).values.max().item<float>();
                Assert.Equal(0f, onGrid);
                var bg = trainer.BackgroundWeights[name];
                Assert.False(ReferenceEquals(bg, w));
                Assert.False(bg.Same(w), $"background of {name} equals the quantized weights");
                Assert.False(bg.Same(pretrained[name]), $"background of {name} never moved");
            }
            checkedBatches++;
        };
        trainer.Run();
        Assert.Equal(16, checkedBatches);
        Assert.Equal(new[] { "fc1.weight", "fc2.weight" }, trainer.QuantizedNames);
    }

    [Fact]
    public void TwoRunsWithTheSameSeedAreBitIdentical()
    {
        Dictionary<string, Tensor> RunOnce()
        {
            using var data = TrainingFixtures.Blobs();
            var model = TrainingFixtures.Mlp(3);
            using var trainer = new QuantizationAwareTrainer(model, data, Opts(epochs: 2), new UniformGridQuantizer(), new GlobalRandomRelevance());
            trainer.Run();
            var snap = TrainingFixtures.Snapshot(model);
            foreach (var (k, v) in trainer.BackgroundWeights) snap["bg:" + k] = v.clone();
            return snap;
        }
        TrainingFixtures.AssertBitIdentical(RunOnce(), RunOnce());
    }

    [Fact]
    public void KillAndResumeEqualsAnUninterruptedRun()
    {
        string full = TestPaths.NewTempDir(), killed = TestPaths.NewTempDir();
        var reference = RunTo(full, cancelAfterBatch: null);
        // checkpoint every 5 batches; "kill" after batch 23 of the whole run (epoch 2, batch 7), resume from batch 20
        Assert.Throws<OperationCanceledException>(() => RunTo(killed, cancelAfterBatch: 23));
        var resumed = RunTo(killed, cancelAfterBatch: null, resume: true);
        TrainingFixtures.AssertBitIdentical(reference.State, resumed.State);
        Assert.Equal(reference.History.Select(r => (r.Phase, r.Epoch, r.TrainLoss, r.TestAccuracy)),
            resumed.History.Select(r => (r.Phase, r.Epoch, r.TrainLoss, r.TestAccuracy)));
        Assert.Equal(File.ReadAllLines(Path.Combine(full, "metrics.jsonl")).Length, File.ReadAllLines(Path.Combine(killed, "metrics.jsonl")).Length);
    }

    [Fact]
    public void DataLoadedWithAnotherSeedOrBatchSizeIsAClearError()
    {
        using var data = TrainingFixtures.Blobs(); // batches of 32, shuffled with seed 7
        var model = TrainingFixtures.Mlp(3);
        var e = Assert.Throws<ArgumentException>(() => new QuantizationAwareTrainer(model, data, Opts() with { Seed = 8 }));
        Assert.Contains("seed 7", e.Message);
        Assert.Contains("seed 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => new QuantizationAwareTrainer(model, data, Opts() with { BatchSize = 64 }));
        Assert.Contains("batch size 32", e.Message);
        Assert.Contains("batch size 64", e.Message);
    }

    [Fact]
    public void KillAndResumeWithLrpAndEcqEqualsAnUninterruptedRun()
    {
        string full = TestPaths.NewTempDir(), killed = TestPaths.NewTempDir();
        Func<IWeightQuantizer> q = () => new EcqWeightQuantizer();
        Func<IWeightRelevanceMethod> lrp = () => RelevanceMethods.Create("lrp");
        var reference = RunTo(full, cancelAfterBatch: null, quantizer: q, relevance: lrp, epochs: 2);
        Assert.Throws<OperationCanceledException>(() => RunTo(killed, cancelAfterBatch: 19, quantizer: q, relevance: lrp, epochs: 2));
        var resumed = RunTo(killed, cancelAfterBatch: null, resume: true, quantizer: q, relevance: lrp, epochs: 2);
        TrainingFixtures.AssertBitIdentical(reference.State, resumed.State);
        Assert.Equal(reference.History.Select(r => r.TestAccuracy), resumed.History.Select(r => r.TestAccuracy));
    }

    [Fact]
    public void KillAndResumeWithTheRandomControlEqualsAnUninterruptedRun()
    {
        // The random control draws per batch from (seed, batch), not from a stream that a resume would restart.
        string full = TestPaths.NewTempDir(), killed = TestPaths.NewTempDir();
        Func<IWeightQuantizer> q = () => new EcqWeightQuantizer();
        Func<IWeightRelevanceMethod> random = () => RelevanceMethods.Create("random:7");
        var reference = RunTo(full, cancelAfterBatch: null, quantizer: q, relevance: random, epochs: 2);
        Assert.Throws<OperationCanceledException>(() => RunTo(killed, cancelAfterBatch: 13, quantizer: q, relevance: random, epochs: 2));
        var resumed = RunTo(killed, cancelAfterBatch: null, resume: true, quantizer: q, relevance: random, epochs: 2);
        TrainingFixtures.AssertBitIdentical(reference.State, resumed.State);
    }

    private static (Dictionary<string, Tensor> State, IReadOnlyList<EpochMetrics> History) RunTo(string dir, int? cancelAfterBatch, bool resume = false,
        Func<IWeightQuantizer>? quantizer = null, Func<IWeightRelevanceMethod>? relevance = null, int epochs = 3)
    {
        using var data = TrainingFixtures.Blobs();
        var model = TrainingFixtures.Mlp(3);
        var options = Opts(dir, epochs: epochs) with { CheckpointEveryBatches = 5, Resume = resume };
        var q = quantizer?.Invoke() ?? new UniformGridQuantizer();
        var rel = relevance?.Invoke() ?? new GlobalRandomRelevance();
        using var disposeQ = q as IDisposable;
        using var disposeRel = rel as IDisposable;
        using var trainer = new QuantizationAwareTrainer(model, data, options, q, rel);
        using var cts = new CancellationTokenSource();
        int seen = 0;
        trainer.BatchCompleted += (_, _) => { if (++seen == cancelAfterBatch) cts.Cancel(); };
        var result = trainer.Run(cts.Token);
        var snap = TrainingFixtures.Snapshot(model);
        foreach (var (k, v) in trainer.BackgroundWeights) snap["bg:" + k] = v.clone();
        return (snap, result.History);
    }

    [Fact]
    public void RelevanceSeesAnEvalViewAndLeavesTrainStateAlone()
    {
        using var data = TrainingFixtures.Blobs();
        var model = TrainingFixtures.Mlp(3);
        var probe = new ProbingRelevance(model);
        using var trainer = new QuantizationAwareTrainer(model, data, Opts(epochs: 1) with { MaxBatchesPerEpoch = 3 }, new UniformGridQuantizer(), probe);
        trainer.BatchCompleted += (_, _) => probe.CheckRestored();
        trainer.Run();
        Assert.Equal(3 * 6, probe.GradsGoneAfterBatch.Count);
        Assert.Equal(3, probe.Calls);
        Assert.All(probe.SawTraining, t => Assert.False(t));
        Assert.All(probe.RunningStatsUnchanged, Assert.True);
        Assert.All(probe.GradsSetAside, Assert.True);
        Assert.All(probe.GradsGoneAfterBatch, Assert.True);
    }

    [Fact]
    public void AnEcqStepLeavesTheQuantizedTensorsOutOfTheModelOptimizer()
    {
        // Without relevance the model optimizer's perturbation of a quantized tensor is overwritten by the re-quantization
        // unseen, so it is skipped: its moments stay zero and its step count 0, while the biases are stepped every batch.
        // With relevance (the pass sees the perturbed model, §b.8) every tensor is stepped.
        foreach (bool withRelevance in new[] { false, true })
        {
            string dir = Directory.CreateTempSubdirectory("ecqx-adam-skip-").FullName;
            try
            {
                using var data = TrainingFixtures.Blobs();
                var model = TrainingFixtures.Mlp(3);
                var relevance = withRelevance ? new ProbingRelevance(model) : null;
                List<string> quantized;
                using (var trainer = new QuantizationAwareTrainer(model, data, Opts(dir, epochs: 1) with { MaxBatchesPerEpoch = 3 }, new UniformGridQuantizer(), relevance))
                {
                    trainer.Run();
                    quantized = trainer.QuantizedNames.ToList();
                }
                Assert.Equal(new[] { "fc1.weight", "fc2.weight" }, quantized);
                using var doc = TrainingCheckpoint.Read(Path.Combine(dir, TrainingCheckpoint.FileName), CPU, out var state);
                var names = model.named_parameters().Select(p => p.name).ToList();
                // the model optimizer's order: non-quantized tensors first, then the quantized ones
                var order = names.Except(quantized).Concat(quantized).ToList();
                Assert.Equal(order.Count, state.ModelSteps!.Length);
                for (int i = 0; i < order.Count; i++)
                {
                    bool skipped = !withRelevance && quantized.Contains(order[i]);
                    Assert.Equal(skipped ? 0 : 3, state.ModelSteps[i]);
                    var m = doc.Tensors[TrainingCheckpoint.ModelOptimizerPrefix + "m/" + order[i]];
                    Assert.Equal(skipped, m.abs().max().item<float>() == 0);
                }
            }
            finally { Directory.Delete(dir, recursive: true); }
        }
    }

    [Fact]
    public void RelevancePutsBackTheVeryGradientTensorsWithTheirValues()
    {
        // EvalModeRelevance sets the gradients aside without copying: afterwards every parameter holds the same gradient
        // tensor (same storage) with the same values, a parameter without gradient has none, and whatever the method did
        // to .grad (new gradients, filled with 123) is gone.
        using var data = TrainingFixtures.Blobs();
        var model = TrainingFixtures.Mlp(3);
        var (inputs, targets) = data.TrainBatches(0, 0, torch.CPU).First();
        nn.functional.cross_entropy(model.call(inputs), targets).backward();
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        parameters[^1].parameter.grad = null;
        // (a view of each gradient, sharing its storage, and a copy of its values)
        var before = parameters.Select(p => p.parameter.grad is Tensor g ? (g.alias(), g.clone()) : ((Tensor, Tensor)?)null).ToList();
        var names = parameters.Where(p => p.parameter.ndim >= 2).Select(p => p.name).ToList();
        using var quantized = new QuantizedParameters(names, parameters.ToDictionary(p => p.name, p => p.parameter));
        var probe = new ProbingRelevance(model);
        using (var relevance = EvalModeRelevance.Compute(model, parameters, probe, new TrainingBatch(inputs, targets), quantized))
            Assert.Equal(names, relevance.Parameters.Keys.Where(names.Contains).ToList());
        Assert.All(probe.GradsSetAside, Assert.True);
        Assert.True(model.training);
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = parameters[i].parameter.grad;
            if (before[i] is not (Tensor view, Tensor values)) { Assert.Null(g); continue; }
            Assert.NotNull(g);
            Assert.True(g!.Same(values), parameters[i].name);
            using (torch.no_grad()) g.add_(1); // the same storage: the view made before sees the change
            Assert.True(view.Same(values + 1), parameters[i].name);
        }
    }

    [Fact]
    public void PretrainingPrecedesQuantizationAndResumesAcrossThePhaseBoundary()
    {
        string full = TestPaths.NewTempDir(), killed = TestPaths.NewTempDir();
        (Dictionary<string, Tensor>, IReadOnlyList<EpochMetrics>) Go(string dir, int? cancelAt, bool resume)
        {
            using var data = TrainingFixtures.Blobs();
            var model = TrainingFixtures.Mlp(3);
            using var trainer = new QuantizationAwareTrainer(model, data, Opts(dir, epochs: 1) with { PretrainEpochs = 1, Resume = resume }, new UniformGridQuantizer());
            using var cts = new CancellationTokenSource();
            int seen = 0;
            trainer.BatchCompleted += (_, _) => { if (++seen == cancelAt) cts.Cancel(); };
            var r = trainer.Run(cts.Token);
            return (TrainingFixtures.Snapshot(model), r.History);
        }
        var (refState, refHistory) = Go(full, null, false);
        Assert.Equal(new[] { TrainingPhase.Pretrain, TrainingPhase.Initial, TrainingPhase.Quantize }, refHistory.Select(r => r.Phase));
        Assert.Empty(refHistory[0].Layers);
        Assert.Equal(2, refHistory[1].Layers.Count);
        // killed in the first quantized batch: resumes from the checkpoint written after the initial quantization
        Assert.Throws<OperationCanceledException>(() => Go(killed, 17, false));
        var (state, history) = Go(killed, null, true);
        TrainingFixtures.AssertBitIdentical(refState, state);
        Assert.Equal(refHistory.Select(r => r.TestAccuracy), history.Select(r => r.TestAccuracy));
    }

    [Fact]
    public void AdamMatchesTorchOptimAdam()
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(11);
        var a = torch.randn(5, 3); var b = torch.randn(7);
        var pa = new TorchSharp.Modules.Parameter(a.clone()); var pb = new TorchSharp.Modules.Parameter(b.clone());
        var qa = new TorchSharp.Modules.Parameter(a.clone()); var qb = new TorchSharp.Modules.Parameter(b.clone());
        using var mine = new AdamOptimizer(new[] { new AdamParameter("a", pa, 0), new AdamParameter("b", pb, 0.01) }, 1e-2);
        var reference = torch.optim.Adam(new[] { new TorchSharp.Modules.Adam.ParamGroup(new[] { qa }, new TorchSharp.Modules.Adam.Options { weight_decay = 0 }),
                                                new TorchSharp.Modules.Adam.ParamGroup(new[] { qb }, new TorchSharp.Modules.Adam.Options { weight_decay = 0.01 }) }, 1e-2);
        for (int step = 0; step < 5; step++)
        {
            var x = torch.randn(3);
            foreach (var (p, q2) in new[] { (pa, qa), (pb, qb) }) { p.grad?.zero_(); q2.grad?.zero_(); }
            ((pa.matmul(x)).pow(2).sum() + pb.sin().sum()).backward();
            ((qa.matmul(x)).pow(2).sum() + qb.sin().sum()).backward();
            mine.Step();
            reference.step();
        }
        Assert.True(pa.allclose(qa, rtol: 1e-5, atol: 1e-7));
        Assert.True(pb.allclose(qb, rtol: 1e-5, atol: 1e-7));
        Assert.Equal(new long[] { 5, 5 }, mine.Steps);
    }
}

/// <summary>Random relevances from the global torch generator (exercises the checkpointed RNG state).</summary>
internal sealed class GlobalRandomRelevance : IWeightRelevanceMethod
{
    public string Name => "random";
    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        using var scope = torch.NewDisposeScope();
        var ps = model.named_parameters().Where(p => p.parameter.ndim >= 2).ToDictionary(p => p.name, p => torch.rand_like(p.parameter));
        return WeightRelevance.Build(Name, model, ps, null);
    }
}

/// <summary>A gradient×weight relevance that records what it saw and checks the trainer restores everything.</summary>
internal sealed class ProbingRelevance(nn.Module<Tensor, Tensor> model) : IWeightRelevanceMethod
{
    public int Calls;
    public readonly List<bool> SawTraining = new(), RunningStatsUnchanged = new(), GradsSetAside = new(), GradsGoneAfterBatch = new();
    public string Name => "probe";

    public WeightRelevance Attribute(nn.Module module, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        using var scope = torch.NewDisposeScope();
        var m = (nn.Module<Tensor, Tensor>)module;
        Calls++;
        SawTraining.Add(m.training);
        var before = m.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        GradsSetAside.Add(m.parameters().All(p => p.grad is null)); // the trainer's gradients are out of reach
        var loss = nn.functional.cross_entropy(m.call(inputs), targets);
        loss.backward();
        var result = m.named_parameters().Where(p => p.parameter.ndim >= 2)
            .ToDictionary(p => p.name, p => (p.parameter.grad! * p.parameter).detach().clone());
        using (torch.no_grad())
            foreach (var p in m.parameters()) p.grad?.fill_(123); // litter: must not survive the call
        RunningStatsUnchanged.Add(m.named_buffers().All(b => b.buffer.Same(before[b.name])));
        _pending = true;
        return WeightRelevance.Build(Name, m, result, null);
    }

    private bool _pending;

    /// <summary>
    /// Called after the trainer's batch: no parameter holds a gradient — the training gradients were spent by the optimizers
    /// and freed before the relevance pass, and the method's litter is gone with the pass.
    /// </summary>
    public void CheckRestored()
    {
        if (!_pending) return;
        foreach (var (_, p) in model.named_parameters())
            GradsGoneAfterBatch.Add(p.grad is null);
        _pending = false;
    }
}
