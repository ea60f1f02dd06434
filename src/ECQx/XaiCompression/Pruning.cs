using ECQx.Data;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>What structured and unstructured pruning remove.</summary>
public enum PruningStructure
{
    /// <summary>Whole conv filters / linear neurons (the model shrinks).</summary>
    Filter,
    /// <summary>Individual weights (a fixed zero mask).</summary>
    Weight,
}

/// <summary>Options of <see cref="Pruning.Run"/>.</summary>
public sealed record PruningOptions
{
    /// <summary>Fraction of units (filters or weights) to prune, in [0, 1).</summary>
    public double Ratio { get; init; } = 0.5;
    /// <summary>Filters (structured) or weights (unstructured).</summary>
    public PruningStructure Structure { get; init; } = PruningStructure.Weight;
    /// <summary>One global ranking or per layer.</summary>
    public PruningScope Scope { get; init; } = PruningScope.Global;
    /// <summary>How weights are scored (relevance method, calibration batches).</summary>
    public CalibrationOptions Calibration { get; init; } = new();
    /// <summary>
    /// The matched budget: when set, prune until at most this many parameters remain instead of pruning a <see cref="Ratio"/>
    /// of the units (global ranking only). Weights: exactly this many remain (parameters minus pruned weights). Filters: the
    /// largest count not above it that pruning in score order reaches, within one filter's cost
    /// (<see cref="StructuredPruning.PlanForParameters"/>). Two methods given the same target keep equal budgets.
    /// </summary>
    public long? RemainingParameters { get; init; }
    /// <summary>
    /// The matched arithmetic budget of filter pruning: when set, prune filters in score order until the FLOPs of one forward
    /// pass of one example (<see cref="ModelCost.Flops"/>, conv and linear layers) are at most this, within one filter's FLOPs
    /// (<see cref="StructuredPruning.PlanForFlops"/>). Needs <see cref="PruningStructure.Filter"/> and the global scope; excludes
    /// <see cref="RemainingParameters"/>.
    /// </summary>
    public long? RemainingFlops { get; init; }
    /// <summary>Fine-tuning after pruning (mask held fixed); <c>Epochs = 0</c> skips it.</summary>
    public TrainerOptions FineTune { get; init; } = new() { Epochs = 0, Patience = 0 };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!(Ratio >= 0 && Ratio < 1)) throw new ArgumentException($"pruning ratio must lie in [0, 1) (got {Ratio})");
        if (!Enum.IsDefined(Structure)) throw new ArgumentException($"unknown pruning structure {Structure}");
        if (!Enum.IsDefined(Scope)) throw new ArgumentException($"unknown pruning scope {Scope}");
        if (RemainingParameters is long t && t < 1) throw new ArgumentException($"remaining parameters must be ≥ 1 (got {t})");
        if (RemainingParameters is not null && Scope != PruningScope.Global)
            throw new ArgumentException("a remaining-parameter budget needs the global scope (one ranking over all layers)");
        if (RemainingFlops is long f)
        {
            if (f < 1) throw new ArgumentException($"remaining FLOPs must be ≥ 1 (got {f})");
            if (RemainingParameters is not null) throw new ArgumentException("give a remaining-parameter or a remaining-FLOPs budget, not both");
            if (Structure != PruningStructure.Filter) throw new ArgumentException("a remaining-FLOPs budget is for filter pruning (structure filter)");
            if (Scope != PruningScope.Global) throw new ArgumentException("a remaining-FLOPs budget needs the global scope (one ranking over all layers)");
        }
        Calibration.Validate();
        FineTune.Validate();
    }
}

/// <summary>Per-layer outcome of a pruning run.</summary>
/// <param name="Name">Weight name (unstructured) or producer module name (structured).</param>
/// <param name="Units">Units before pruning (weights or filters).</param>
/// <param name="Pruned">Units pruned.</param>
public sealed record LayerPruning(string Name, long Units, long Pruned);

/// <summary>Outcome of <see cref="Pruning.Run"/>.</summary>
/// <param name="Model">The pruned (and fine-tuned) model: a new, smaller <see cref="RebuiltModel"/> for filters, the input model (masked in place) for weights.</param>
/// <param name="Method">The relevance method used for scoring.</param>
/// <param name="AccuracyBefore">Test accuracy (%) of the input model.</param>
/// <param name="AccuracyPruned">Test accuracy right after pruning.</param>
/// <param name="AccuracyFineTuned">Test accuracy after fine-tuning (= pruned without fine-tuning).</param>
/// <param name="ParametersBefore">Parameter count of the input model.</param>
/// <param name="ParametersAfter">Parameter count of the result (structured: shrinks).</param>
/// <param name="NonZeroAfter">Non-zero parameters of the result.</param>
/// <param name="PrunedUnits">Units pruned.</param>
/// <param name="TotalUnits">Prunable units.</param>
/// <param name="Layers">Per-layer counts.</param>
/// <param name="Masks">Keep-masks (unstructured only; caller owns them).</param>
/// <param name="FineTuneHistory">The trainer's metrics rows of the fine-tuning (empty without it).</param>
public sealed record PruningResult(nn.Module<Tensor, Tensor> Model, string Method, double AccuracyBefore, double AccuracyPruned, double AccuracyFineTuned,
    long ParametersBefore, long ParametersAfter, long NonZeroAfter, long PrunedUnits, long TotalUnits, IReadOnlyList<LayerPruning> Layers,
    IReadOnlyDictionary<string, Tensor>? Masks, IReadOnlyList<EpochMetrics> FineTuneHistory)
{
    /// <summary>
    /// The budget spent: parameters that remain (filters: the shrunk model's count; weights: the count minus the pruned
    /// weights, so weights that were already zero still count).
    /// </summary>
    public long RemainingParameters { get; init; }
    /// <summary>The target the run was given (<see cref="PruningOptions.RemainingParameters"/>), or null for a ratio.</summary>
    public long? TargetParameters { get; init; }
    /// <summary>The FLOPs target the run was given (<see cref="PruningOptions.RemainingFlops"/>), or null.</summary>
    public long? TargetFlops { get; init; }
    /// <summary>The arithmetic budget spent: FLOPs per example of the result (<see cref="CostAfter"/>).</summary>
    public long RemainingFlops => CostAfter?.Flops ?? 0;
    /// <summary>Cost of the input model (<see cref="ModelCosts.Measure"/>).</summary>
    public ModelCost? CostBefore { get; init; }
    /// <summary>Cost of the result after fine-tuning (non-zero weights' FLOPs).</summary>
    public ModelCost? CostAfter { get; init; }

    /// <summary>Achieved fraction of pruned units.</summary>
    public double PrunedFraction => TotalUnits == 0 ? 0 : (double)PrunedUnits / TotalUnits;
}

/// <summary>
/// XAI-guided pruning (Sabih, Hannig, Teich 2020, spec §f item 1; this package's interpretation, see
/// docs/xai-compression.md): score weights by mean |relevance| over a calibration set
/// (<see cref="RelevanceCalibration"/>), prune the lowest-scored filters (<see cref="StructuredPruning"/>) or
/// weights (<see cref="UnstructuredPruning"/>), then fine-tune with <see cref="QuantizationAwareTrainer"/> (plain
/// training of the shrunken model, or training with the masks held fixed).
/// </summary>
public static class Pruning
{
    /// <summary>Prunes <paramref name="model"/>; <paramref name="data"/> gives calibration, test and fine-tuning batches.</summary>
    public static PruningResult Run(nn.Module<Tensor, Tensor> model, DatasetSplits data, PruningOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double before = ModelEvaluation.Accuracy(model, data.Test);
        long paramsBefore = ModelEvaluation.ParameterCount(model);
        var costBefore = ModelCosts.Measure(model, data.Test.InputShape);
        using var scores = RelevanceCalibration.Scores(model, data, options.Calibration, cancellationToken);
        nn.Module<Tensor, Tensor> result;
        List<LayerPruning> layers;
        Dictionary<string, Tensor>? masks = null;
        if (options.Structure == PruningStructure.Filter)
        {
            var plan = options.RemainingParameters is long target
                ? StructuredPruning.PlanForParameters(model, scores, target)
                : options.RemainingFlops is long flops
                    ? StructuredPruning.PlanForFlops(model, scores, data.Test.InputShape, flops)
                    : StructuredPruning.Plan(model, scores, options.Ratio, options.Scope);
            result = StructuredPruning.Shrink(model, plan);
            layers = plan.Groups.Select((g, i) => new LayerPruning(g.ProducerName, g.Units, g.Units - plan.Keep[i].numel())).ToList();
            foreach (var k in plan.Keep) k.Dispose();
            foreach (var s in plan.UnitScores) s.Dispose();
        }
        else
        {
            masks = options.RemainingParameters is long target
                ? UnstructuredPruning.MasksForCount(scores, WeightsToPrune(paramsBefore, target, scores))
                : UnstructuredPruning.Masks(scores, options.Ratio, options.Scope);
            UnstructuredPruning.Apply(model, masks);
            result = model;
            layers = masks.Select(kv => new LayerPruning(kv.Key, kv.Value.numel(), kv.Value.numel() - kv.Value.count_nonzero().item<long>())).ToList();
        }
        double afterPrune = ModelEvaluation.Accuracy(result, data.Test);
        var history = FineTune(result, data, options.FineTune, masks, cancellationToken);
        // the trainer's last row evaluated the test set on the model as it is returned: no second pass over the test set
        double afterTune = history.Count == 0 ? afterPrune : history[^1].TestAccuracy;
        long paramsAfter = ModelEvaluation.ParameterCount(result);
        long prunedUnits = layers.Sum(l => l.Pruned);
        return new PruningResult(result, options.Calibration.Method, before, afterPrune, afterTune, paramsBefore,
            paramsAfter, ModelEvaluation.NonZeroParameterCount(result), prunedUnits, layers.Sum(l => l.Units), layers, masks, history)
        {
            RemainingParameters = options.Structure == PruningStructure.Filter ? paramsAfter : paramsAfter - prunedUnits,
            TargetParameters = options.RemainingParameters,
            TargetFlops = options.RemainingFlops,
            CostBefore = costBefore,
            CostAfter = ModelCosts.Measure(result, data.Test.InputShape),
        };
    }

    private static long WeightsToPrune(long parameters, long target, IReadOnlyDictionary<string, Tensor> scores)
    {
        long prunable = scores.Values.Sum(t => t.numel());
        long k = parameters - target;
        if (k < 0) throw new ArgumentException($"remaining-parameter target {target} is above the model's {parameters} parameters");
        if (k > prunable) throw new ArgumentException($"remaining-parameter target {target} needs pruning {k} weights, but the model has only {prunable} conv/linear weights ({parameters - prunable} other parameters)");
        return k;
    }

    private static IReadOnlyList<EpochMetrics> FineTune(nn.Module<Tensor, Tensor> model, DatasetSplits data, TrainerOptions o,
        IReadOnlyDictionary<string, Tensor>? masks, CancellationToken ct)
    {
        if (o.Epochs == 0) return Array.Empty<EpochMetrics>();
        var quantizer = masks is null ? null : new MaskWeightQuantizer(masks);
        using var trainer = new QuantizationAwareTrainer(model, data, o with { PretrainEpochs = 0 }, quantizer);
        return trainer.Run(ct).History;
    }
}
