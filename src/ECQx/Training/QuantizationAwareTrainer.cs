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
/// (§a.5) into the background copies; background Adam step; model Adam step; relevance of the batch on the
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

    /// <summary>One wrapper of torch's default CPU generator, kept for the process (its state is checkpointed).</summary>
    private static readonly Lazy<torch.Generator> DefaultCpuGenerator = new(() => torch.Generator.Default);

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly DatasetSplits? _data;
    private readonly TrainerOptions _o;
    private readonly IWeightQuantizer? _quantizer;
    private readonly IWeightRelevanceMethod? _relevance;
    private readonly List<(string Name, Parameter Param)> _params;
    private readonly List<string> _quantizedNames = new();
    private readonly Dictionary<string, Parameter> _paramByName = new(StringComparer.Ordinal);
    private readonly TensorDictionary _background = new();
    private readonly Dictionary<string, Codebook> _codebooks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LayerMetrics> _layerStats = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _ecqSparsity = new(StringComparer.Ordinal);
    private readonly RelevanceAccumulator _relevanceAcc;
    private readonly List<EpochMetrics> _history = new();
    private AdamOptimizer? _fpOptimizer, _backgroundOptimizer, _modelOptimizer;
    private long _largestLayer;

    private TrainingPhase _phase;
    private int _epoch = 1, _nextBatch;
    private readonly EarlyStopping _stopping;
    private double _lossSum, _wallBefore;
    private long _correct, _seen;

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
        foreach (var (n, p) in _params)
        {
            _paramByName[n] = p;
            if (quantizer is not null && quantizer.IsQuantized(n, p)) _quantizedNames.Add(n);
        }
        if (quantizer is not null && _quantizedNames.Count == 0) throw new ArgumentException("the quantizer selects no parameter of this model");
        _largestLayer = _quantizedNames.Count == 0 ? 0 : _quantizedNames.Max(n => _paramByName[n].numel());
        _relevanceAcc = new RelevanceAccumulator(options.RelevanceAlpha);
        _stopping = new EarlyStopping(options.Patience, options.MinDelta);
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
    public IReadOnlyList<string> QuantizedNames => _quantizedNames;
    /// <summary>The fixed codebooks (empty before quantization starts); owned by the trainer (disposed with it).</summary>
    public IReadOnlyDictionary<string, Codebook> Codebooks => _codebooks;
    /// <summary>The full-precision background copies of the quantized tensors.</summary>
    public IReadOnlyDictionary<string, Tensor> BackgroundWeights => _background;
    /// <summary>The metrics rows so far.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;
    /// <summary>The current phase.</summary>
    public TrainingPhase Phase => _phase;
    /// <summary>Path of the checkpoint file, or null without an output directory.</summary>
    public string? CheckpointPath => _o.OutputDirectory is null ? null : Path.Combine(_o.OutputDirectory, CheckpointFileName);

    /// <summary>
    /// Runs (or, with <see cref="TrainerOptions.Resume"/> and an existing checkpoint, continues) the whole
    /// procedure. Cancellation is checked after every batch; a cancelled run throws
    /// <see cref="OperationCanceledException"/> and can be resumed from its last checkpoint.
    /// </summary>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        // Autograd on for the whole run, whatever the caller's (thread-local) grad mode: a notebook cell may have left
        // no_grad() active on the thread that runs the next cell. Restored when the run ends.
        using var grad = torch.enable_grad();
        RemoveStaleTemporaries();
        if (_o.Resume && CheckpointPath is string ck && File.Exists(ck)) LoadCheckpoint(ck);
        else StartFresh();

        while (_phase != TrainingPhase.Done)
        {
            int epochs = _phase == TrainingPhase.Pretrain ? _o.PretrainEpochs : _o.Epochs;
            if (_epoch > epochs) { EndPhase(); continue; }
            RunEpoch(cancellationToken);
        }
        return new TrainingResult(_history.ToList(), _stopping.Stopped, _stopping.Best);
    }

    /// <summary>Writes the model's state dict with the step/bit metadata of every quantized tensor (§d, <c>ecqx compress</c>).</summary>
    public void SaveQuantizedStateDict(string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        QuantizedStateDict.Save(path, _model.state_dict(), _codebooks, extraMetadata);

    // ------------------------------------------------------------------ phases

    private void StartFresh()
    {
        torch.manual_seed(_o.Seed);
        if (_quantizer is null) BeginFpPhase(TrainingPhase.FullPrecision);
        else if (_o.PretrainEpochs > 0) BeginFpPhase(TrainingPhase.Pretrain);
        else BeginQuantization();
    }

    private void BeginFpPhase(TrainingPhase phase)
    {
        _phase = phase;
        ResetPhaseCounters();
        _fpOptimizer = new AdamOptimizer(_params.Select(p => new AdamParameter(p.Name, p.Param, p.Param.ndim < 2 ? _o.WeightDecay : 0)), _o.LearningRate);
    }

    private void EndPhase()
    {
        if (_phase == TrainingPhase.Pretrain)
        {
            _fpOptimizer?.Dispose(); _fpOptimizer = null;
            BeginQuantization();
            return;
        }
        _phase = TrainingPhase.Done;
        WriteCheckpointIfConfigured();
    }

    /// <summary>§c.3 steps 3–4: fixed codebooks from the current weights, background copies, one-shot ECQ.</summary>
    private void BeginQuantization()
    {
        var q = _quantizer!;
        var sw = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            foreach (var name in _quantizedNames)
            {
                var p = _paramByName[name];
                if (!p.isfinite().all().item<bool>()) throw new ArgumentException($"parameter '{name}' contains NaN or infinite values");
                _codebooks[name] = q.CreateCodebook(name, p.detach());
                _background.Add(name, p.detach().clone().DetachFromDisposeScope());
            }
        }
        _phase = TrainingPhase.Quantize;
        ResetPhaseCounters();
        Requantize(useRelevance: false);
        CreateQuantizationOptimizers();
        double acc = _data is null ? double.NaN : Evaluate();
        AddRow(TrainingPhase.Initial, 0, double.NaN, double.NaN, acc, sw.Elapsed.TotalSeconds);
        WriteCheckpointIfConfigured();
    }

    private void ResetPhaseCounters()
    {
        _epoch = 1; _nextBatch = 0; _stopping.ResetPhase();
        _lossSum = 0; _correct = 0; _seen = 0; _wallBefore = 0;
    }

    // ------------------------------------------------------------------ epochs and batches

    private int BatchesInEpoch()
    {
        int full = _data!.Train.BatchesPerEpoch;
        return _o.MaxBatchesPerEpoch is int m ? Math.Min(m, full) : full;
    }

    private int ShuffleEpoch => (_phase == TrainingPhase.Quantize ? _o.PretrainEpochs : 0) + _epoch - 1;

    private void RunEpoch(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        int total = BatchesInEpoch();
        if (_nextBatch == 0)
        {
            _relevanceAcc.Reset();
            _lossSum = 0; _correct = 0; _seen = 0; _wallBefore = 0;
        }
        _model.train();
        using (var batches = _data!.TrainBatches(ShuffleEpoch, _nextBatch, _o.Device).GetEnumerator())
        {
            while (_nextBatch < total)
            {
                BatchProgress progress;
                using (var scope = NewDisposeScope())
                {
                    if (!batches.MoveNext()) break;
                    var batch = new TrainingBatch(batches.Current.inputs, batches.Current.labels);
                    progress = _phase == TrainingPhase.Quantize ? QuantizedStep(batch, total) : FullPrecisionStep(batch, total);
                }
                _nextBatch++;
                if (_o.CheckpointEveryBatches > 0 && _nextBatch % _o.CheckpointEveryBatches == 0 && _nextBatch < total)
                {
                    _wallBefore += sw.Elapsed.TotalSeconds; sw.Restart();
                    WriteCheckpointIfConfigured();
                }
                BatchCompleted?.Invoke(this, progress);
                ct.ThrowIfCancellationRequested();
            }
        }

        double acc = Evaluate();
        double loss = _nextBatch == 0 ? double.NaN : _lossSum / _nextBatch;
        double trainAcc = _seen == 0 ? double.NaN : 100.0 * _correct / _seen;
        AddRow(_phase, _epoch, loss, trainAcc, acc, _wallBefore + sw.Elapsed.TotalSeconds);
        UpdateEarlyStopping(acc);
        _epoch++;
        _nextBatch = 0; _lossSum = 0; _correct = 0; _seen = 0; _wallBefore = 0;
        if (_phase == TrainingPhase.Pretrain && _stopping.Stopped) { _stopping.ClearStop(); _epoch = int.MaxValue; }
        if (_stopping.Stopped) _epoch = int.MaxValue;
        if (_epoch > (_phase == TrainingPhase.Pretrain ? _o.PretrainEpochs : _o.Epochs)) EndPhase();
        else WriteCheckpointIfConfigured();
    }

    /// <summary>File name of the best model (highest test accuracy of the last phase) inside the output directory.</summary>
    public const string BestModelFileName = "best.safetensors";

    /// <summary>Early stopping (<see cref="EarlyStopping"/>); a new best of a non-pretraining phase is saved as the best model.</summary>
    private void UpdateEarlyStopping(double acc)
    {
        bool improved = _stopping.Observe(acc);
        if (improved && _o.OutputDirectory is string dir && _phase != TrainingPhase.Pretrain)
            SaveQuantizedStateDict(Path.Combine(dir, BestModelFileName), new Dictionary<string, string>
            {
                ["ecqx.test_accuracy"] = acc.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ["ecqx.epoch"] = _epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
    }

    private BatchProgress FullPrecisionStep(TrainingBatch batch, int total)
    {
        _model.zero_grad();
        var logits = _model.call(batch.Inputs);
        var loss = nn.functional.cross_entropy(logits, batch.Targets);
        loss.backward();
        _fpOptimizer!.Step();
        return Progress(loss, logits, batch, total, 0);
    }

    private BatchProgress QuantizedStep(TrainingBatch batch, int total)
    {
        // 1. forward/backward of the quantized model (train mode).
        _model.zero_grad();
        var logits = _model.call(batch.Inputs);
        var loss = nn.functional.cross_entropy(logits, batch.Targets);
        loss.backward();
        // 2.–3. scaled gradients (§a.5) into the distinct background copies; background Adam step.
        _backgroundOptimizer!.Step(bp =>
        {
            var p = _paramByName[bp.Name];
            var g = p.grad;
            return g is null ? null : _quantizer!.ScaleGradient(bp.Name, g, p.detach());
        });
        // 4. model Adam step (BN/biases with weight decay; quantized tensors perturbed, §b.8).
        _modelOptimizer!.Step();
        // 5. relevance on an eval-mode view of the current model (§b.1, §b.8), accumulated (§b.7).
        if (_relevance is not null) AccumulateRelevance(batch);
        // 6. re-quantize every tensor from its background copy.
        double sparsity = Requantize(useRelevance: _relevance is not null);
        return Progress(loss, logits, batch, total, sparsity);
    }

    private BatchProgress Progress(Tensor loss, Tensor logits, TrainingBatch batch, int total, double sparsity)
    {
        double l = loss.item<float>();
        long correct = logits.detach().argmax(1).eq(batch.Targets).sum().item<long>();
        _lossSum += l; _correct += correct; _seen += batch.Targets.shape[0];
        return new BatchProgress(_phase, _epoch, _nextBatch, total, l, _lossSum / (_nextBatch + 1), 100.0 * _correct / _seen, sparsity);
    }

    private void AccumulateRelevance(TrainingBatch batch)
    {
        bool wasTraining = _model.training;
        var savedGrads = _params.Select(p => p.Param.grad is Tensor g ? g.detach().clone() : null).ToList();
        var rel = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        _model.eval();
        try
        {
            using var attributed = _relevance!.Attribute(_model, batch.Inputs, batch.Targets);
            // copies in the batch's scope; the method's result is freed here
            foreach (var name in _quantizedNames)
            {
                if (!attributed.Parameters.TryGetValue(name, out var r))
                    throw new InvalidOperationException($"relevance method '{_relevance.Name}' returned no relevance for '{name}'");
                if (!r.shape.SequenceEqual(_paramByName[name].shape))
                    throw new InvalidOperationException($"relevance method '{_relevance.Name}' returned shape [{string.Join(", ", r.shape)}] for '{name}' of shape [{string.Join(", ", _paramByName[name].shape)}]");
                rel[name] = r.detach().clone();
            }
        }
        finally
        {
            _model.train(wasTraining);
            using (no_grad())
            {
                for (int i = 0; i < _params.Count; i++)
                {
                    var p = _params[i].Param;
                    var current = p.grad;
                    if (savedGrads[i] is Tensor s)
                    {
                        if (current is null) p.grad = s.DetachFromDisposeScope();
                        else current.copy_(s);
                    }
                    else if (current is not null) p.grad = null;
                }
            }
        }
        _relevanceAcc.Update(rel, _quantizedNames);
    }

    /// <summary>Assigns every quantized tensor from its background copy and writes it into the model; returns the zero fraction.</summary>
    private double Requantize(bool useRelevance)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor? zeros = null;
        long total = 0;
        foreach (var name in _quantizedNames)
        {
            var rel = useRelevance ? _relevanceAcc.Get(name) : null;
            var result = _quantizer!.Quantize(name, _background[name], _codebooks[name], _largestLayer, rel);
            var p = _paramByName[name];
            p.copy_(result.Values);
            _ecqSparsity[name] = result.EcqSparsity;
            _layerStats[name] = ModelStatistics.Layer(name, p.numel(), result, _codebooks[name]);
            var z = p.eq(0).sum();
            zeros = zeros is null ? z : zeros + z;
            total += p.numel();
        }
        return total == 0 || zeros is null ? 0 : (double)zeros.item<long>() / total;
    }

    /// <summary>Test accuracy in % (NaN without test data), with the model in eval mode; the previous mode is restored.</summary>
    private double Evaluate() => ModelEvaluation.Accuracy(_model, _data!.Test, _o.Device);

    private void AddRow(TrainingPhase phase, int epoch, double loss, double trainAcc, double testAcc, double wall)
    {
        var layers = new List<LayerMetrics>();
        if (phase is TrainingPhase.Initial or TrainingPhase.Quantize)
            foreach (var name in _quantizedNames)
                layers.Add(_layerStats.TryGetValue(name, out var stats) ? stats  // after a resume that has not re-quantized yet: from the weights
                    : ModelStatistics.Layer(name, _paramByName[name], _codebooks[name], _ecqSparsity.GetValueOrDefault(name)));
        var state = _model.state_dict();
        long qZeros = layers.Sum(l => (long)Math.Round(l.Sparsity * l.Count)), qTotal = layers.Sum(l => l.Count);
        var row = new EpochMetrics(phase, epoch, loss, trainAcc, testAcc, ModelStatistics.NetworkSparsity(state),
            qTotal == 0 ? 0 : (double)qZeros / qTotal, ModelStatistics.SizeEstimateBytes(state, layers), wall, layers);
        _history.Add(row);
        if (_o.OutputDirectory is string dir) MetricsLog.Write(dir, _history);
        EpochCompleted?.Invoke(this, row);
    }

    // ------------------------------------------------------------------ checkpoints

    private void WriteCheckpointIfConfigured()
    {
        if (CheckpointPath is not string path) return;
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (k, t) in _model.state_dict()) tensors.Add(new(TrainingCheckpoint.ModelPrefix + k, t));
        foreach (var n in _quantizedNames)
        {
            if (_background.TryGetValue(n, out var bg)) tensors.Add(new(TrainingCheckpoint.BackgroundPrefix + n, bg));
            if (_codebooks.TryGetValue(n, out var cb)) tensors.Add(new(TrainingCheckpoint.CodebookPrefix + n, cb.Centroids));
        }
        if (_fpOptimizer is not null) tensors.AddRange(_fpOptimizer.StateTensors(TrainingCheckpoint.FullPrecisionOptimizerPrefix));
        if (_backgroundOptimizer is not null) tensors.AddRange(_backgroundOptimizer.StateTensors(TrainingCheckpoint.BackgroundOptimizerPrefix));
        if (_modelOptimizer is not null) tensors.AddRange(_modelOptimizer.StateTensors(TrainingCheckpoint.ModelOptimizerPrefix));
        foreach (var (n, r) in _relevanceAcc.Values) tensors.Add(new(TrainingCheckpoint.RelevancePrefix + n, r));
        using var rng = DefaultCpuGenerator.Value.get_state();
        tensors.Add(new(TrainingCheckpoint.CpuGeneratorKey, rng));
        var state = new CheckpointState
        {
            Phase = _phase, Epoch = _epoch, NextBatch = _nextBatch, Seed = _o.Seed, BatchSize = _o.BatchSize,
            Quantized = _quantizer is not null, Best = _stopping.Best, BadEpochs = _stopping.BadEpochs, StoppedEarly = _stopping.Stopped,
            EpochLossSum = _lossSum, EpochCorrect = _correct, EpochSeen = _seen, EpochWallSeconds = _wallBefore,
            FullPrecisionSteps = _fpOptimizer?.Steps.ToArray(), BackgroundSteps = _backgroundOptimizer?.Steps.ToArray(),
            ModelSteps = _modelOptimizer?.Steps.ToArray(),
            Codebooks = _codebooks.ToDictionary(kv => kv.Key, kv => new CheckpointState.StoredCodebook(kv.Value.Step, kv.Value.Bits)),
            EcqSparsity = new Dictionary<string, double>(_ecqSparsity), History = _history.ToList(),
            Settings = new Dictionary<string, string>(CurrentSettings(), StringComparer.Ordinal),
        };
        TrainingCheckpoint.Write(path, state, tensors);
        CheckpointSaved?.Invoke(this, new CheckpointWritten(path, _phase, _epoch, _nextBatch));
    }

    private void LoadCheckpoint(string path)
    {
        using var doc = TrainingCheckpoint.Read(path, _o.Device, out var st);
        TrainingCheckpoint.RequireSameRun(st, path, _o, _quantizer is not null);
        RunSettings.Compare(path, st.Settings ?? throw new InvalidDataException($"{path}: checkpoint records no run settings"), CurrentSettings());
        var t = doc.Tensors;

        using (no_grad())
            foreach (var (k, dst) in _model.state_dict())
                TrainingCheckpoint.CopyInto(t, TrainingCheckpoint.ModelPrefix + k, dst, path);

        _phase = st.Phase; _epoch = st.Epoch; _nextBatch = st.NextBatch;
        _stopping.Restore(st.Best, st.BadEpochs, st.StoppedEarly);
        _lossSum = st.EpochLossSum; _correct = st.EpochCorrect; _seen = st.EpochSeen;
        _wallBefore = st.EpochWallSeconds;
        _history.Clear(); _history.AddRange(st.History);
        _ecqSparsity.Clear();
        if (st.EcqSparsity is not null) foreach (var (k, v) in st.EcqSparsity) _ecqSparsity[k] = v;

        if (st.Phase is TrainingPhase.Pretrain or TrainingPhase.FullPrecision || (st.Phase == TrainingPhase.Done && !st.Quantized))
        {
            _fpOptimizer = new AdamOptimizer(_params.Select(p => new AdamParameter(p.Name, p.Param, p.Param.ndim < 2 ? _o.WeightDecay : 0)), _o.LearningRate);
            _fpOptimizer.LoadState(TrainingCheckpoint.FullPrecisionOptimizerPrefix, t, st.FullPrecisionSteps ?? throw new InvalidDataException($"{path}: FP optimizer steps missing"), path);
        }
        else if (st.Codebooks is { Count: > 0 })
        {
            using (no_grad())
                foreach (var n in _quantizedNames)
                {
                    if (!st.Codebooks.TryGetValue(n, out var info)) throw new InvalidDataException($"{path}: codebook of '{n}' missing");
                    if (!t.TryGetValue(TrainingCheckpoint.CodebookPrefix + n, out var c)) throw new InvalidDataException($"{path}: tensor '{TrainingCheckpoint.CodebookPrefix}{n}' missing");
                    _codebooks[n] = TrainingCheckpoint.ReadCodebook(n, info, c, _o.Device, path);
                    var bg = torch.empty_like(_paramByName[n]).DetachFromDisposeScope();
                    TrainingCheckpoint.CopyInto(t, TrainingCheckpoint.BackgroundPrefix + n, bg, path);
                    _background.Add(n, bg);
                }
            CreateQuantizationOptimizers();
            _backgroundOptimizer.LoadState(TrainingCheckpoint.BackgroundOptimizerPrefix, t, st.BackgroundSteps ?? throw new InvalidDataException($"{path}: background optimizer steps missing"), path);
            _modelOptimizer.LoadState(TrainingCheckpoint.ModelOptimizerPrefix, t, st.ModelSteps ?? throw new InvalidDataException($"{path}: model optimizer steps missing"), path);
        }
        _relevanceAcc.Load(t.Where(kv => kv.Key.StartsWith(TrainingCheckpoint.RelevancePrefix, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key[TrainingCheckpoint.RelevancePrefix.Length..], kv.Value)));
        if (!t.TryGetValue(TrainingCheckpoint.CpuGeneratorKey, out var rng)) throw new InvalidDataException($"{path}: generator state '{TrainingCheckpoint.CpuGeneratorKey}' missing");
        using (var cpuRng = rng.cpu()) DefaultCpuGenerator.Value.set_state(cpuRng);
        // A finished run resumed with more epochs than it ran trains on in its last phase, as an uninterrupted run with
        // that many epochs would (unless early stopping ended it).
        if (_phase == TrainingPhase.Done && !st.StoppedEarly && _epoch <= _o.Epochs)
            _phase = _quantizer is null ? TrainingPhase.FullPrecision : TrainingPhase.Quantize;
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
    public void Dispose()
    {
        _fpOptimizer?.Dispose(); _backgroundOptimizer?.Dispose(); _modelOptimizer?.Dispose();
        _background.Dispose();
        foreach (var cb in _codebooks.Values) cb.Dispose();
        _relevanceAcc.Dispose();
    }

    /// <summary>
    /// The two optimizers of the quantization phase (§c.2): Adam over the FP background copies, and Adam over
    /// the model's parameters in two groups (1-D parameters with weight decay, quantized tensors without).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_backgroundOptimizer), nameof(_modelOptimizer))]
    private void CreateQuantizationOptimizers()
    {
        _backgroundOptimizer = new AdamOptimizer(_quantizedNames.Select(n => new AdamParameter(n, _background[n], 0)), _o.LearningRate);
        var quantized = _quantizedNames.ToHashSet(StringComparer.Ordinal);
        _modelOptimizer = new AdamOptimizer(
            _params.Where(p => !quantized.Contains(p.Name)).Select(p => new AdamParameter(p.Name, p.Param, _o.WeightDecay))
                .Concat(_params.Where(p => quantized.Contains(p.Name)).Select(p => new AdamParameter(p.Name, p.Param, 0))),
            _o.LearningRate);
    }
}
