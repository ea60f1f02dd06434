using ECQx.Relevance;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>
/// Everything of a <see cref="QuantizationAwareTrainer"/> run that changes while it trains — where it is (phase, epoch,
/// batch), the running tallies of the current epoch, early stopping, the metrics rows, the optimizers, the quantized
/// parameters and the relevance average — and how it is written to and restored from a <see cref="TrainingCheckpoint"/>.
/// Owns the optimizers, the quantized parameters and the relevance average.
/// </summary>
internal sealed class TrainerState : IDisposable
{
    /// <summary>One wrapper of torch's default CPU generator, kept for the process (its state is checkpointed).</summary>
    private static readonly Lazy<torch.Generator> DefaultCpuGenerator = new(() => torch.Generator.Default);

    public TrainerState(QuantizedParameters quantized, TrainerOptions options)
    {
        Quantized = quantized;
        Relevance = new RelevanceAccumulator(options.RelevanceAlpha);
        Stopping = new EarlyStopping(options.Patience, options.MinDelta);
    }

    public TrainingPhase Phase { get; private set; }
    /// <summary>1-based epoch within the phase.</summary>
    public int Epoch { get; private set; } = 1;
    /// <summary>Index of the next batch of the epoch.</summary>
    public int NextBatch { get; set; }
    /// <summary>Running tallies of the current epoch: summed batch loss, correct and seen training samples, wall seconds before the last restart.</summary>
    public double LossSum, WallBefore;
    public long Correct, Seen;

    public EarlyStopping Stopping { get; }
    public List<EpochMetrics> History { get; } = new();
    public QuantizedParameters Quantized { get; }
    public RelevanceAccumulator Relevance { get; }
    public AdamOptimizer? FullPrecisionOptimizer { get; private set; }
    public AdamOptimizer? BackgroundOptimizer { get; private set; }
    public AdamOptimizer? ModelOptimizer { get; private set; }

    /// <summary>Enters <paramref name="phase"/> at its first epoch, with early stopping reset.</summary>
    public void StartPhase(TrainingPhase phase)
    {
        Phase = phase;
        Epoch = 1; NextBatch = 0; Stopping.ResetPhase();
        ClearEpochTallies();
    }

    /// <summary>Moves on to the next epoch of the phase.</summary>
    public void NextEpoch()
    {
        Epoch++; NextBatch = 0;
        ClearEpochTallies();
    }

    /// <summary>The run is over.</summary>
    public void Finish() => Phase = TrainingPhase.Done;

    public void ClearEpochTallies() { LossSum = 0; Correct = 0; Seen = 0; WallBefore = 0; }

    /// <summary>The optimizer of the full-precision phases: Adam over all parameters, 1-D ones with weight decay.</summary>
    public void CreateFullPrecisionOptimizer(IReadOnlyList<(string Name, Parameter Param)> parameters, TrainerOptions o) =>
        FullPrecisionOptimizer = new AdamOptimizer(parameters.Select(p => new AdamParameter(p.Name, p.Param, p.Param.ndim < 2 ? o.WeightDecay : 0)), o.LearningRate);

    public void DisposeFullPrecisionOptimizer() { FullPrecisionOptimizer?.Dispose(); FullPrecisionOptimizer = null; }

    /// <summary>Frees every optimizer and its moments (after a run's last checkpoint: only a new run needs them again).</summary>
    public void DisposeOptimizers()
    {
        DisposeFullPrecisionOptimizer();
        BackgroundOptimizer?.Dispose(); BackgroundOptimizer = null;
        ModelOptimizer?.Dispose(); ModelOptimizer = null;
    }

    /// <summary>
    /// The two optimizers of the quantization phase (§c.2): Adam over the FP background copies, and Adam over
    /// the model's parameters in two groups (non-quantized with weight decay, quantized tensors without).
    /// </summary>
    public void CreateQuantizationOptimizers(IReadOnlyList<(string Name, Parameter Param)> parameters, TrainerOptions o)
    {
        BackgroundOptimizer = new AdamOptimizer(Quantized.Names.Select(n => new AdamParameter(n, Quantized.Background[n], 0)), o.LearningRate);
        ModelOptimizer = new AdamOptimizer(
            parameters.Where(p => !Quantized.Contains(p.Name)).Select(p => new AdamParameter(p.Name, p.Param, o.WeightDecay))
                .Concat(parameters.Where(p => Quantized.Contains(p.Name)).Select(p => new AdamParameter(p.Name, p.Param, 0))),
            o.LearningRate);
    }

    /// <summary>Writes this state, the model's state dict and the torch CPU generator state to the checkpoint <paramref name="path"/>.</summary>
    public void Write(string path, nn.Module<Tensor, Tensor> model, TrainerOptions o, bool quantizedRun, IReadOnlyDictionary<string, string> settings)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (k, t) in model.state_dict()) tensors.Add(new(TrainingCheckpoint.ModelPrefix + k, t));
        foreach (var n in Quantized.Names)
        {
            if (Quantized.Background.TryGetValue(n, out var bg)) tensors.Add(new(TrainingCheckpoint.BackgroundPrefix + n, bg));
            if (Quantized.Codebooks.TryGetValue(n, out var cb)) tensors.Add(new(TrainingCheckpoint.CodebookPrefix + n, cb.Centroids));
        }
        if (FullPrecisionOptimizer is not null) tensors.AddRange(FullPrecisionOptimizer.StateTensors(TrainingCheckpoint.FullPrecisionOptimizerPrefix));
        if (BackgroundOptimizer is not null) tensors.AddRange(BackgroundOptimizer.StateTensors(TrainingCheckpoint.BackgroundOptimizerPrefix));
        if (ModelOptimizer is not null) tensors.AddRange(ModelOptimizer.StateTensors(TrainingCheckpoint.ModelOptimizerPrefix));
        foreach (var (n, r) in Relevance.Values) tensors.Add(new(TrainingCheckpoint.RelevancePrefix + n, r));
        using var rng = DefaultCpuGenerator.Value.get_state();
        tensors.Add(new(TrainingCheckpoint.CpuGeneratorKey, rng));
        var state = new CheckpointState
        {
            Phase = Phase, Epoch = Epoch, NextBatch = NextBatch, Seed = o.Seed, BatchSize = o.BatchSize,
            Quantized = quantizedRun, Best = Stopping.Best, BadEpochs = Stopping.BadEpochs, StoppedEarly = Stopping.Stopped,
            EpochLossSum = LossSum, EpochCorrect = Correct, EpochSeen = Seen, EpochWallSeconds = WallBefore,
            FullPrecisionSteps = FullPrecisionOptimizer?.Steps.ToArray(), BackgroundSteps = BackgroundOptimizer?.Steps.ToArray(),
            ModelSteps = ModelOptimizer?.Steps.ToArray(),
            Codebooks = Quantized.Codebooks.ToDictionary(kv => kv.Key, kv => new CheckpointState.StoredCodebook(kv.Value.Step, kv.Value.Bits)),
            EcqSparsity = new Dictionary<string, double>(Quantized.EcqSparsity), History = History.ToList(),
            Settings = new Dictionary<string, string>(settings, StringComparer.Ordinal),
        };
        TrainingCheckpoint.Write(path, state, tensors);
    }

    /// <summary>
    /// Restores this state, the model's weights and the torch CPU generator from the checkpoint <paramref name="path"/>, after
    /// checking that it was written by the same run (<see cref="TrainingCheckpoint.RequireSameRun"/>, <see cref="RunSettings"/>).
    /// A finished run resumed with more epochs than it ran continues in its last phase (unless early stopping ended it).
    /// </summary>
    public void Restore(string path, nn.Module<Tensor, Tensor> model, IReadOnlyList<(string Name, Parameter Param)> parameters,
        TrainerOptions o, bool quantizedRun, IReadOnlyDictionary<string, string> settings)
    {
        using var doc = TrainingCheckpoint.Read(path, o.Device, out var st);
        TrainingCheckpoint.RequireSameRun(st, path, o, quantizedRun);
        RunSettings.Compare(path, st.Settings ?? throw new InvalidDataException($"{path}: checkpoint records no run settings"), settings);
        var t = doc.Tensors;
        using (no_grad())
            foreach (var (k, dst) in model.state_dict())
                TrainingCheckpoint.CopyInto(t, TrainingCheckpoint.ModelPrefix + k, dst, path);

        Phase = st.Phase; Epoch = st.Epoch; NextBatch = st.NextBatch;
        Stopping.Restore(st.Best, st.BadEpochs, st.StoppedEarly);
        LossSum = st.EpochLossSum; Correct = st.EpochCorrect; Seen = st.EpochSeen; WallBefore = st.EpochWallSeconds;
        History.Clear(); History.AddRange(st.History);
        Quantized.EcqSparsity.Clear();
        if (st.EcqSparsity is not null) foreach (var (k, v) in st.EcqSparsity) Quantized.EcqSparsity[k] = v;

        if (st.Phase is TrainingPhase.Pretrain or TrainingPhase.FullPrecision || (st.Phase == TrainingPhase.Done && !st.Quantized))
        {
            CreateFullPrecisionOptimizer(parameters, o);
            FullPrecisionOptimizer!.LoadState(TrainingCheckpoint.FullPrecisionOptimizerPrefix, t, st.FullPrecisionSteps ?? throw new InvalidDataException($"{path}: FP optimizer steps missing"), path);
        }
        else if (st.Codebooks is { Count: > 0 })
        {
            RestoreQuantizedParameters(path, st, t, o.Device);
            CreateQuantizationOptimizers(parameters, o);
            BackgroundOptimizer!.LoadState(TrainingCheckpoint.BackgroundOptimizerPrefix, t, st.BackgroundSteps ?? throw new InvalidDataException($"{path}: background optimizer steps missing"), path);
            ModelOptimizer!.LoadState(TrainingCheckpoint.ModelOptimizerPrefix, t, st.ModelSteps ?? throw new InvalidDataException($"{path}: model optimizer steps missing"), path);
        }
        Relevance.Load(t.Where(kv => kv.Key.StartsWith(TrainingCheckpoint.RelevancePrefix, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key[TrainingCheckpoint.RelevancePrefix.Length..], kv.Value)));
        if (!t.TryGetValue(TrainingCheckpoint.CpuGeneratorKey, out var rng)) throw new InvalidDataException($"{path}: generator state '{TrainingCheckpoint.CpuGeneratorKey}' missing");
        using (var cpuRng = rng.cpu()) DefaultCpuGenerator.Value.set_state(cpuRng);
        if (Phase == TrainingPhase.Done && !st.StoppedEarly && Epoch <= o.Epochs)
            Phase = quantizedRun ? TrainingPhase.Quantize : TrainingPhase.FullPrecision;
    }

    private void RestoreQuantizedParameters(string path, CheckpointState st, IReadOnlyDictionary<string, Tensor> t, Device device)
    {
        using var noGrad = no_grad();
        foreach (var n in Quantized.Names)
        {
            if (!st.Codebooks!.TryGetValue(n, out var info)) throw new InvalidDataException($"{path}: codebook of '{n}' missing");
            if (!t.TryGetValue(TrainingCheckpoint.CodebookPrefix + n, out var c)) throw new InvalidDataException($"{path}: tensor '{TrainingCheckpoint.CodebookPrefix}{n}' missing");
            var codebook = TrainingCheckpoint.ReadCodebook(n, info, c, device, path);
            Quantized.Restore(n, codebook, torch.empty_like(Quantized.Parameter(n)).DetachFromDisposeScope()); // owned (and freed) from here on
            TrainingCheckpoint.CopyInto(t, TrainingCheckpoint.BackgroundPrefix + n, Quantized.Background[n], path);
        }
    }

    /// <summary>Frees the optimizers, the quantized parameters and the relevance average.</summary>
    public void Dispose()
    {
        FullPrecisionOptimizer?.Dispose(); BackgroundOptimizer?.Dispose(); ModelOptimizer?.Dispose();
        Quantized.Dispose();
        Relevance.Dispose();
    }
}
