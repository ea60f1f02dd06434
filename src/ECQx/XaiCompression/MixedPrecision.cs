using ECQx.Quantization;
using ECQx.Data;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>Options of <see cref="MixedPrecision.Run"/>.</summary>
public sealed record MixedPrecisionOptions
{
    /// <summary>Average bits per weight over all conv/linear weights (weighted by layer size).</summary>
    public double Budget { get; init; } = 4;
    /// <summary>Relevance method guiding the allocation (<c>deeplift</c>, <c>lrp</c>, <c>magnitude</c>, …) or <c>uniform</c> (every weight equally relevant, the matched-budget baseline).</summary>
    public string Method { get; init; } = "deeplift";
    /// <summary>Smallest bit width of a layer (≥ 2).</summary>
    public int MinBits { get; init; } = 2;
    /// <summary>Largest bit width of a layer.</summary>
    public int MaxBits { get; init; } = 8;
    /// <summary>Calibration (its <c>Method</c> is replaced by <see cref="Method"/>).</summary>
    public CalibrationOptions Calibration { get; init; } = new();
    /// <summary>STE fine-tuning through <see cref="QuantizationAwareTrainer"/>; 0 epochs = one-shot quantization.</summary>
    public TrainerOptions FineTune { get; init; } = new() { Epochs = 0, Patience = 0 };

    /// <summary>True for the uniform baseline.</summary>
    public bool IsUniform => string.Equals(Method?.Trim(), "uniform", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!(Budget > 0) || double.IsInfinity(Budget)) throw new ArgumentException($"budget must be a positive number of bits per weight (got {Budget})");
        if (MinBits < 2 || MaxBits > 16 || MinBits > MaxBits) throw new ArgumentException($"bit range [{MinBits}, {MaxBits}] must satisfy 2 ≤ min ≤ max ≤ 16");
        if (Budget < MinBits) throw new ArgumentException($"budget {Budget} bits/weight is below the minimum of {MinBits} bits per layer");
        if (string.IsNullOrWhiteSpace(Method)) throw new ArgumentException("method is empty; use deeplift, lrp, magnitude or uniform");
        if (!IsUniform) ECQx.Relevance.RelevanceMethods.Create(Method);
        Calibration.Validate();
        FineTune.Validate();
    }
}

/// <summary>One layer's chosen bit width.</summary>
/// <param name="Name">Weight name.</param>
/// <param name="Count">Number of weights.</param>
/// <param name="Relevance">Aggregate relevance S_l (NaN for uniform).</param>
/// <param name="Bits">Chosen bit width.</param>
/// <param name="StepSize">Δ_l of the fixed-point grid.</param>
public sealed record LayerBits(string Name, long Count, double Relevance, int Bits, double StepSize);

/// <summary>Outcome of <see cref="MixedPrecision.Run"/>.</summary>
/// <param name="Method">Allocation method.</param>
/// <param name="Layers">Bits per layer.</param>
/// <param name="AverageBits">Σ n_l·b_l / N.</param>
/// <param name="Allocation">The allocation details.</param>
/// <param name="AccuracyBefore">Test accuracy (%) in full precision.</param>
/// <param name="AccuracyQuantized">After the one-shot quantization.</param>
/// <param name="AccuracyFineTuned">After STE fine-tuning.</param>
/// <param name="History">The trainer's metrics rows.</param>
/// <param name="Codebooks">Per layer codebook (for <c>QuantizedStateDict.Save</c>); the caller disposes them.</param>
public sealed record MixedPrecisionResult(string Method, IReadOnlyList<LayerBits> Layers, double AverageBits, BitAllocationResult Allocation,
    double AccuracyBefore, double AccuracyQuantized, double AccuracyFineTuned, IReadOnlyList<EpochMetrics> History,
    IReadOnlyDictionary<string, Codebook> Codebooks);

/// <summary>
/// Integer mixed precision (spec §f item 3; this package's interpretation): the layers' aggregate relevance
/// <c>S_l = Σ_i s_i</c> over the calibrated weight scores (<see cref="RelevanceCalibration"/>) drives
/// <see cref="BitAllocation.Allocate"/> under an average-bits budget; each layer is then quantized to a symmetric
/// fixed-point grid of its bit width (<see cref="FixedPointWeightQuantizer"/>) and fine-tuned with the straight-through
/// estimator by <see cref="QuantizationAwareTrainer"/>. Baseline: <c>uniform</c> (every weight equally relevant: bits as even as the budget allows, the same total spent; <see cref="BitAllocation.Uniform"/>).
/// </summary>
public static class MixedPrecision
{
    /// <summary>The allocation only (no quantization): bits per conv/linear weight of <paramref name="model"/>.</summary>
    public static (IReadOnlyList<LayerBitInput> Inputs, BitAllocationResult Allocation) Allocate(nn.Module<Tensor, Tensor> model, DatasetSplits? data, MixedPrecisionOptions options)
    {
        options.Validate();
        var layers = CompressibleLayers.Of(model);
        List<LayerBitInput> inputs;
        if (options.IsUniform) inputs = layers.Select(l => new LayerBitInput(l.WeightName, l.Count, double.NaN)).ToList();
        else
        {
            using var scores = RelevanceCalibration.Scores(model, data, options.Calibration with { Method = options.Method });
            inputs = layers.Select(l => new LayerBitInput(l.WeightName, l.Count, scores[l.WeightName].to(float64).sum().item<double>())).ToList();
        }
        var alloc = options.IsUniform
            ? BitAllocation.Uniform(inputs.Select(i => i with { Relevance = 0 }).ToList(), options.Budget, options.MinBits, options.MaxBits)
            : BitAllocation.Allocate(inputs, options.Budget, options.MinBits, options.MaxBits);
        return (inputs, alloc);
    }

    /// <summary>Allocates, quantizes (model changed in place), fine-tunes and evaluates.</summary>
    public static MixedPrecisionResult Run(nn.Module<Tensor, Tensor> model, DatasetSplits data, MixedPrecisionOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CompressibleLayers.CheckFinite(CompressibleLayers.Of(model));
        double before = ModelEvaluation.Accuracy(model, data.Test);
        var (inputs, alloc) = Allocate(model, data, options);
        var bits = inputs.Select((l, i) => (l.Name, alloc.Bits[i])).ToDictionary(t => t.Name, t => t.Item2, StringComparer.Ordinal);
        var quantizer = new FixedPointWeightQuantizer(bits);
        using var trainer = new QuantizationAwareTrainer(model, data, options.FineTune with { PretrainEpochs = 0, Patience = 0 }, quantizer);
        var result = trainer.Run(ct);
        double quantized = result.History.FirstOrDefault(h => h.Phase == TrainingPhase.Initial)?.TestAccuracy ?? double.NaN;
        // the last row evaluated the test set on the model as it is returned (its initial row when there are no epochs)
        double tuned = result.History.Count > 0 ? result.History[^1].TestAccuracy : ModelEvaluation.Accuracy(model, data.Test);
        var codebooks = trainer.Codebooks.ToDictionary(kv => kv.Key, kv => new Codebook(kv.Value.Bits, kv.Value.Step, kv.Value.MinLevel, kv.Value.Centroids.device, kv.Key), StringComparer.Ordinal);
        var layers = inputs.Select((l, i) => new LayerBits(l.Name, l.Count, l.Relevance, alloc.Bits[i], codebooks[l.Name].Step)).ToList();
        return new MixedPrecisionResult(options.IsUniform ? "uniform" : options.Method, layers, alloc.AverageBits(inputs), alloc, before, quantized, tuned, result.History, codebooks);
    }
}
