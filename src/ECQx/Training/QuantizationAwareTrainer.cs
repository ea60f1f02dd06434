using System.Diagnostics;
using ECQx.Data;
using ECQx.IO;
using ECQx.Quantization;
using ECQx.Relevance;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>Outcome of <see cref="QuantizationAwareTrainer.Run"/>.</summary>
/// <param name="History">Every metrics row of the run (resumed runs include the rows before the restart).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="BestTestAccuracy">Best test accuracy of the last phase (NaN without a test set).</param>
public sealed record TrainingResult(IReadOnlyList<EpochMetrics> History, bool StoppedEarly, double BestTestAccuracy);

/// <summary>
/// Quantization-aware trainer of the reference procedure (§c.2–c.3, §b.7–b.8), or a plain full-precision
/// trainer when no quantizer is given.
/// </summary>
/// <remarks>
/// <para>Quantized tensors have full-precision background copies that are always distinct from the model's
/// weights (§c.2; the reference aliases them on CPU). Two Adam optimizers: one over the background copies
/// (no weight decay), one over the model parameters in two groups (non-quantized with weight decay, quantized
/// without).</para>
/// <para>Per batch (§c.3 step 5): forward/backward of the quantized model in train mode; the scaled gradient
/// (§a.5) into the background copies; background Adam step; model Adam step (the quantized tensors are left out of it
/// when no relevance is computed: the re-quantization overwrites them unseen, so the weights are the same); the
/// gradients, now spent, are freed (a <see cref="BatchCompleted"/> handler sees none); relevance of the batch on the
/// model in eval mode (mode and gradients restored; eval mode leaves BN running statistics alone) added to
/// the running average (§b.7; reset each epoch); every quantized tensor re-assigned from its background copy
/// (ECQ, or ECQx with the accumulated relevance) and written into the model.</para>
/// <para>Before the first epoch: optional FP pre-training, then codebooks fixed from the weights (§a.3) and a
/// one-shot ECQ quantization without relevance (§c.3 step 4). After each epoch: test accuracy, statistics,
/// early stopping (patience, min delta in points; the first epoch sets the reference), metrics files and a
/// checkpoint.</para>
/// <para>Determinism: on CPU, with the same seed and thread count, two runs give bit-identical weights, and a
/// run resumed from any checkpoint ends in the same state as an uninterrupted one: shuffles come from
/// generators seeded by (seed, epoch), and the global torch generator state is checkpointed.</para>
/// <para>Checkpoints carry a SHA-256 of their state and tensors (<see cref="CheckpointIntegrity"/>) and the run's
/// result-changing settings (<see cref="RunSettings"/>); a resume refuses a damaged checkpoint or changed settings.
/// Every run first removes the temporaries that a killed checkpoint or metrics write left in the output directory.</para>
/// </remarks>
public sealed class QuantizationAwareTrainer : IDisposable
{
    /// <summary>File name of the checkpoint inside the output directory (<see cref="TrainingCheckpoint.FileName"/>).</summary>
    public const string CheckpointFileName = TrainingCheckpoint.FileName;

    /// <summary>File name of the best model (highest test accuracy of the last phase) inside the output directory.</summary>
    public const string BestModelFileName = "best.safetensors";

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly DatasetSplits? _data;
    private readonly TrainerOptions _o;
    private readonly IWeightQuantizer? _quantizer;
    private readonly IWeightRelevanceMethod? _relevance;
    private readonly List<(string Name, Parameter Param)> _params;
    private readonly QuantizedParameters _quantized;
    private readonly TrainerState _state;

    /// <summary>Creates a trainer for <paramref name="model"/> (moved to the options' device).</summary>
    /// <param name="model">The model (pretrained weights already loaded). Its quantized tensors are selected by the quantizer.</param>
    /// <param name="data">Training and test splits, loaded with the options' batch size and seed (checked); may be null
    /// only for a one-shot quantization (0 epochs, no pre-training).</param>
    /// <param name="options">Run options.</param>
    /// <param name="quantizer">The ECQ/ECQx quantizer; null trains in full precision.</param>
    /// <param name="relevance">Weight-relevance method for ECQx; null is plain ECQ.</param>
    public QuantizationAwareTrainer(nn.Module<Tensor, Tensor> model, DatasetSplits? data, TrainerOptions options,
        IWeightQuantizer? quantizer = null, IWeightRelevanceMethod? relevance = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (relevance is not null && quantizer is null) throw new ArgumentException("a relevance method needs a quantizer (ECQx)");
        bool needsData = quantizer is null ? options.Epochs > 0 : options.Epochs > 0 || options.PretrainEpochs > 0;
        if (needsData && data is null) throw new ArgumentException("training epochs need a dataset (only a one-shot quantization with 0 epochs runs without one)");
        data?.RequireTrainingOptions(options.BatchSize, options.Seed);
        TorchRuntime.EnsureLoaded();
        if (options.Threads is int threads) torch.set_num_threads(threads);
        _model = model;
        _data = data;
        _o = options;
        _quantizer = quantizer;
        _relevance = relevance;
        _model.to(options.Device);
        _params = _model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var byName = _params.ToDictionary(p => p.Name, p => p.Param, StringComparer.Ordinal);
        var quantizedNames = quantizer is null ? new List<string>() : _params.Where(p => quantizer.IsQuantized(p.Name, p.Param)).Select(p => p.Name).ToList();
        if (quantizer is not null && quantizedNames.Count == 0) throw new ArgumentException("the quantizer selects no parameter of this model");
        _quantized = new QuantizedParameters(quantizedNames, byName);
        _state = new TrainerState(_quantized, options);
    }

    /// <summary>Raised after every training batch.</summary>
    public event EventHandler<BatchProgress>? BatchCompleted;
    /// <summary>Raised after every epoch (and after the initial quantization) with its metrics row.</summary>
    public event EventHandler<EpochMetrics>? EpochCompleted;
    /// <summary>Raised after every checkpoint write.</summary>
    public event EventHandler<CheckpointWritten>? CheckpointSaved;

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model => _model;
    /// <summary>Names of the quantized parameters.</summary>
    public IReadOnlyList<string> QuantizedNames => _quantized.Names;
    /// <summary>The fixed codebooks (empty before quantization starts); owned by the trainer (disposed with it).</summary>
    public IReadOnlyDictionary<string, Codebook> Codebooks => _quantized.Codebooks;
    /// <summary>The full-precision background copies of the quantized tensors.</summary>
    public IReadOnlyDictionary<string, Tensor> BackgroundWeights => _quantized.Background;
    /// <summary>The metrics rows so far.</summary>
    public IReadOnlyList<EpochMetrics> History => _state.History;
    /// <summary>The current phase.</summary>
    public TrainingPhase Phase => _state.Phase;
    /// <summary>Path of the checkpoint file, or null without an output directory.</summary>
    public string? CheckpointPath => _o.OutputDirectory is null ? null : Path.Combine(_o.OutputDirectory, CheckpointFileName);

    /// <summary>
    /// Runs (or, with <see cref="TrainerOptions.Resume"/> and an existing checkpoint, continues) the whole
    /// procedure: full-precision epochs (pre-training, or the whole run without a quantizer), the initial quantization,
    /// then the quantization-aware epochs. Cancellation is checked after every batch; a cancelled run throws
    /// <see cref="OperationCanceledException"/> and can be resumed from its last checkpoint.
    /// </summary>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        // Autograd on for the whole run, whatever the caller's (thread-local) grad mode: a notebook cell may have left
        // no_grad() active on the thread that runs the next cell. Restored when the run ends.
        using var grad = torch.enable_grad();
        RemoveStaleTemporaries();
        if (_o.Resume && CheckpointPath is string ck && File.Exists(ck)) _state.Restore(ck, _model, _params, _o, _quantizer is not null, CurrentSettings());
        else StartFresh();

        if (_state.Phase == TrainingPhase.Pretrain)
        {
            RunEpochs(_o.PretrainEpochs, cancellationToken);
            _state.Stopping.ClearStop(); // early stopping ends pre-training, not the run
            _state.DisposeFullPrecisionOptimizer();
            QuantizeInitially();
        }
        if (_state.Phase is TrainingPhase.FullPrecision or TrainingPhase.Quantize)
        {
            RunEpochs(_o.Epochs, cancellationToken);
            _state.Finish();
            WriteCheckpointIfConfigured();
            // Only a new run needs the optimizers again: their moments (VGG16 ECQx: 240 MB) are freed before the caller
            // saves, converts or codes the model, and the heap's free pages go back, so the conversion's new tensors (int64
            // levels) do not land on top of the training's high-water mark (VGG16 ECQx: 1.10 → 1.20 GB without this).
            _state.DisposeOptimizers();
            NativeHeap.Release();
        }
        return new TrainingResult(_state.History.ToList(), _state.Stopping.Stopped, _state.Stopping.Best);
    }

    /// <summary>
    /// Writes the model as it stands as a quantized-model file (§d, <c>ecqx compress</c>), atomically: the file
    /// <see cref="ToQuantizedModel"/> then <see cref="Quantization.QuantizedModel.Save"/> writes, streamed from the model
    /// without copies (see <see cref="Quantization.QuantizedModel.SaveStateDict"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Quantization has not started.</exception>
    /// <exception cref="ArgumentException">A quantized tensor is not on its codebook's grid (naming it).</exception>
    public void SaveQuantizedStateDict(string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        Quantization.QuantizedModel.SaveStateDict(path, _model.state_dict(), QuantizedCodebooks(), extraMetadata);

    /// <summary>
    /// The model as it stands, as a <see cref="Quantization.QuantizedModel"/>: each quantized tensor's levels (its values
    /// are centroids of its fixed codebook) and codebook, every other tensor as it is. The caller owns (disposes) it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Quantization has not started (a full-precision run, or before <see cref="Run"/>).</exception>
    public QuantizedModel ToQuantizedModel() => Quantization.QuantizedModel.FromStateDict(_model.state_dict(), QuantizedCodebooks());

    private Dictionary<string, Codebook> QuantizedCodebooks() => _quantized.Codebooks.Count > 0 ? _quantized.Codebooks
        : throw new InvalidOperationException("the model is not quantized (a full-precision run, or Run has not quantized it yet)");

    // ------------------------------------------------------------------ phases

    private void StartFresh()
    {
        torch.manual_seed(_o.Seed);
        if (_quantizer is null) StartFullPrecision(TrainingPhase.FullPrecision);
        else if (_o.PretrainEpochs > 0) StartFullPrecision(TrainingPhase.Pretrain);
        else QuantizeInitially();
    }

    private void StartFullPrecision(TrainingPhase phase)
    {
        _state.StartPhase(phase);
        _state.CreateFullPrecisionOptimizer(_params, _o);
    }

    /// <summary>§c.3 steps 3–4: fixed codebooks from the current weights, background copies, one-shot ECQ; its metrics row and a checkpoint.</summary>
    private void QuantizeInitially()
    {
        var sw = Stopwatch.StartNew();
        _quantized.FixCodebooks(_quantizer!);
        _state.StartPhase(TrainingPhase.Quantize);
        _quantized.Requantize(_quantizer!, relevance: null);
        _state.CreateQuantizationOptimizers(_params, _o);
        double acc = _data is null ? double.NaN : Evaluate();
        AddRow(TrainingPhase.Initial, 0, double.NaN, double.NaN, acc, sw.Elapsed.TotalSeconds);
        WriteCheckpointIfConfigured();
        // The initial quantization and its test pass leave garbage on the managed large-object heap (VGG16: ≈ 110 MB,
        // committed through the first epoch otherwise) and free pages in the C heap; both go back before the epochs.
        NativeHeap.Release();
    }

    /// <summary>The epochs of the current phase up to <paramref name="epochs"/>, or until early stopping; a checkpoint after each but the last.</summary>
    private void RunEpochs(int epochs, CancellationToken ct)
    {
        while (_state.Epoch <= epochs && !_state.Stopping.Stopped)
        {
            RunEpoch(ct);
            _state.NextEpoch();
            if (_state.Epoch <= epochs && !_state.Stopping.Stopped) WriteCheckpointIfConfigured();
        }
    }

    // ------------------------------------------------------------------ epochs and batches

    private int BatchesInEpoch()
    {
        int full = _data!.Train.BatchesPerEpoch;
        return _o.MaxBatchesPerEpoch is int m ? Math.Min(m, full) : full;
    }

    private int ShuffleEpoch => (_state.Phase == TrainingPhase.Quantize ? _o.PretrainEpochs : 0) + _state.Epoch - 1;

    /// <summary>One epoch (continued from <see cref="TrainerState.NextBatch"/>): its batches, test accuracy, metrics row and early stopping.</summary>
    private void RunEpoch(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        int total = BatchesInEpoch();
        var s = _state;
        if (s.NextBatch == 0)
        {
            s.Relevance.Reset();
            s.ClearEpochTallies();
        }
        _model.train();
        using (var batches = _data!.TrainBatches(ShuffleEpoch, s.NextBatch, _o.Device).GetEnumerator())
        {
            while (s.NextBatch < total)
            {
                BatchProgress progress;
                using (var scope = NewDisposeScope())
                {
                    if (!batches.MoveNext()) break;
                    var batch = new TrainingBatch(batches.Current.inputs, batches.Current.labels);
                    progress = s.Phase == TrainingPhase.Quantize ? QuantizedStep(batch, total) : FullPrecisionStep(batch, total);
                }
                s.NextBatch++;
                if (_o.CheckpointEveryBatches > 0 && s.NextBatch % _o.CheckpointEveryBatches == 0 && s.NextBatch < total)
                {
                    s.WallBefore += sw.Elapsed.TotalSeconds; sw.Restart();
                    WriteCheckpointIfConfigured();
                }
                BatchCompleted?.Invoke(this, progress);
                ct.ThrowIfCancellationRequested();
            }
        }

        // The steps' freed temporaries stay in the C heap, and the collector keeps what the epoch's garbage committed; the
        // test pass and the saves after an epoch (the best model, the quantized model) would otherwise come on top of them
        // (VGG16 ECQx: 1.64 GB at the save instead of 1.5 GB at the step). A collection of the package's small managed
        // heap takes milliseconds, an epoch minutes.
        NativeHeap.Release();
        double acc = Evaluate();
        double loss = s.NextBatch == 0 ? double.NaN : s.LossSum / s.NextBatch;
        double trainAcc = s.Seen == 0 ? double.NaN : 100.0 * s.Correct / s.Seen;
        AddRow(s.Phase, s.Epoch, loss, trainAcc, acc, s.WallBefore + sw.Elapsed.TotalSeconds);
        UpdateEarlyStopping(acc);
    }

    /// <summary>
    /// Early stopping (<see cref="EarlyStopping"/>); a new best of a non-pretraining phase is saved as the best model: the
    /// quantized model once quantization has started, the plain state dict in a full-precision run.
    /// </summary>
    private void UpdateEarlyStopping(double acc)
    {
        bool improved = _state.Stopping.Observe(acc);
        if (!improved || _o.OutputDirectory is not string dir || _state.Phase == TrainingPhase.Pretrain) return;
        string path = Path.Combine(dir, BestModelFileName);
        var metadata = new Dictionary<string, string>
        {
            ["ecqx.test_accuracy"] = acc.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["ecqx.epoch"] = _state.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (_quantized.Codebooks.Count > 0) SaveQuantizedStateDict(path, metadata);
        else SafeTensors.Save(path, _model.state_dict(), metadata);
    }

    private BatchProgress FullPrecisionStep(TrainingBatch batch, int total)
    {
        var (loss, correct) = ForwardBackward(batch);
        _state.FullPrecisionOptimizer!.Step();
        return Progress(loss, correct, batch, total, 0);
    }

    /// <summary>
    /// Forward and backward of the model on one batch (gradients left on the parameters); returns the loss and the number
    /// of correct predictions. Its own dispose scope frees the activations' handles before the optimizer, the relevance
    /// pass and the re-quantization run (VGG16 at batch 64: ≈ 300 MB that would otherwise stay resident under them).
    /// </summary>
    private (float Loss, long Correct) ForwardBackward(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        _model.zero_grad();
        var logits = _model.call(batch.Inputs);
        var loss = nn.functional.cross_entropy(logits, batch.Targets);
        loss.backward();
        return (loss.item<float>(), logits.detach().argmax(1).eq(batch.Targets).sum().item<long>());
    }

    private BatchProgress QuantizedStep(TrainingBatch batch, int total)
    {
        // 1. forward/backward of the quantized model (train mode).
        var (loss, correct) = ForwardBackward(batch);
        // 2.–3. scaled gradients (§a.5) into the distinct background copies; background Adam step.
        _state.BackgroundOptimizer!.Step(bp =>
        {
            var p = _quantized.Parameter(bp.Name);
            var g = p.grad;
            return g is null ? null : _quantizer!.ScaleGradient(bp.Name, g, p.detach());
        });
        // 4. model Adam step (BN/biases with weight decay; quantized tensors perturbed, §b.8). The perturbation reaches
        // only the relevance pass (step 6 overwrites every quantized tensor), so without relevance the quantized tensors
        // are left out: the same weights, one Adam step over them less (VGG16: 15 M weights).
        if (_relevance is null) _state.ModelOptimizer!.Step(p => _quantized.Contains(p.Name) ? null : p.Value.grad);
        else _state.ModelOptimizer!.Step();
        // The gradients are spent: freed before the relevance pass and the re-quantization instead of held under them.
        ReleaseGradients();
        // 5. relevance on an eval-mode view of the current model (§b.1, §b.8), accumulated (§b.7).
        if (_relevance is not null)
            using (var relevance = EvalModeRelevance.Compute(_model, _params, _relevance, batch, _quantized))
                _state.Relevance.Update(relevance.Parameters, _quantized.Names);
        // 6. re-quantize every tensor from its background copy.
        double sparsity = _quantized.Requantize(_quantizer!, _relevance is not null ? _state.Relevance : null);
        return Progress(loss, correct, batch, total, sparsity);
    }

    /// <summary>Frees every parameter's gradient (the next backward creates them again, as it does after <c>zero_grad</c>).</summary>
    private void ReleaseGradients()
    {
        foreach (var (_, p) in _params)
        {
            using var g = p.grad;
            if (g is not null) p.grad = null;
        }
    }

    private BatchProgress Progress(float loss, long correct, TrainingBatch batch, int total, double sparsity)
    {
        var s = _state;
        double l = loss;
        s.LossSum += l; s.Correct += correct; s.Seen += batch.Targets.shape[0];
        return new BatchProgress(s.Phase, s.Epoch, s.NextBatch, total, l, s.LossSum / (s.NextBatch + 1), 100.0 * s.Correct / s.Seen, sparsity);
    }

    /// <summary>Test accuracy in % (NaN without test data), with the model in eval mode; the previous mode is restored.</summary>
    private double Evaluate() => ModelEvaluation.Accuracy(_model, _data!.Test, _o.Device);

    private void AddRow(TrainingPhase phase, int epoch, double loss, double trainAcc, double testAcc, double wall)
    {
        var layers = phase is TrainingPhase.Initial or TrainingPhase.Quantize ? _quantized.LayerMetrics() : new List<LayerMetrics>();
        var state = _model.state_dict();
        long qZeros = layers.Sum(l => (long)Math.Round(l.Sparsity * l.Count)), qTotal = layers.Sum(l => l.Count);
        var row = new EpochMetrics(phase, epoch, loss, trainAcc, testAcc, ModelStatistics.NetworkSparsity(state),
            qTotal == 0 ? 0 : (double)qZeros / qTotal, ModelStatistics.SizeEstimateBytes(state, layers), wall, layers);
        _state.History.Add(row);
        if (_o.OutputDirectory is string dir) MetricsLog.Write(dir, _state.History);
        EpochCompleted?.Invoke(this, row);
    }

    // ------------------------------------------------------------------ checkpoints

    private void WriteCheckpointIfConfigured()
    {
        if (CheckpointPath is not string path) return;
        _state.Write(path, _model, _o, _quantizer is not null, CurrentSettings());
        CheckpointSaved?.Invoke(this, new CheckpointWritten(path, _state.Phase, _state.Epoch, _state.NextBatch));
    }

    private SortedDictionary<string, string> CurrentSettings() => RunSettings.Describe(_o, _model.GetName(), _quantizer, _relevance, _data);

    /// <summary>Removes what a killed checkpoint or metrics write left in the output directory (only our temporaries of
    /// dead processes, by name; see <see cref="AtomicFile.RemoveStaleTemporaries"/>).</summary>
    private void RemoveStaleTemporaries()
    {
        if (_o.OutputDirectory is not string dir) return;
        foreach (string name in new[] { CheckpointFileName, MetricsLog.JsonLinesFileName, MetricsLog.CsvFileName })
            AtomicFile.RemoveStaleTemporaries(dir, name);
    }

    /// <inheritdoc />
    public void Dispose() => _state.Dispose();
}
