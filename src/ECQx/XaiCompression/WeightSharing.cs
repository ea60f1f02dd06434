using ECQx.Data;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>Options of <see cref="WeightSharing"/>.</summary>
public sealed record WeightSharingOptions
{
    /// <summary>Bits per weight index: each layer gets K = 2^bits shared values (1–8).</summary>
    public int Bits { get; init; } = 4;
    /// <summary>
    /// Relevance weighting of the k-means objective: a relevance method name (<c>deeplift</c>, <c>lrp</c>, …) or
    /// <c>none</c> for plain k-means.
    /// </summary>
    public string Weighting { get; init; } = "deeplift";
    /// <summary>Floor φ of the per-weight k-means weight <c>v = φ + |R|/max|R|</c> (so irrelevant weights still count a little).</summary>
    public double RelevanceFloor { get; init; } = 0.05;
    /// <summary>k-means iterations and seed (<see cref="KMeansOptions.Clusters"/> is set from <see cref="Bits"/>).</summary>
    public KMeansOptions KMeans { get; init; } = new();
    /// <summary>Calibration of the relevance (its <c>Method</c> is replaced by <see cref="Weighting"/>).</summary>
    public CalibrationOptions Calibration { get; init; } = new();
    /// <summary>Fine-tuning of the shared values (Epochs, LearningRate, MaxBatchesPerEpoch are used; BatchSize and Seed must be those the data was loaded with); 0 epochs skips it.</summary>
    public TrainerOptions FineTune { get; init; } = new() { Epochs = 0 };

    /// <summary>True when the objective is relevance-weighted.</summary>
    public bool IsWeighted => !string.Equals(Weighting?.Trim(), "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Bits < 1 || Bits > 8) throw new ArgumentException($"weight-sharing bits must be in [1, 8] (got {Bits})");
        if (string.IsNullOrWhiteSpace(Weighting)) throw new ArgumentException("weighting is empty; use a relevance method (deeplift, lrp, …) or none");
        if (IsWeighted) RelevanceMethods.Create(Weighting); // throws on an unknown name
        if (!(RelevanceFloor >= 0) || double.IsInfinity(RelevanceFloor)) throw new ArgumentException($"relevance floor must be finite and ≥ 0 (got {RelevanceFloor})");
        KMeans.Validate();
        Calibration.Validate();
        FineTune.Validate();
    }
}

/// <summary>One weight-shared layer: K shared values and the fixed index of each weight. Owns its tensors.</summary>
/// <param name="Name">The weight's state-dict name.</param>
/// <param name="Centroids">The shared values (float32, K; trained by fine-tuning).</param>
/// <param name="Assignment">Index of each weight's shared value (int64, the weight's shape).</param>
/// <param name="Objective">The k-means objective per iteration.</param>
public sealed record SharedLayer(string Name, Tensor Centroids, Tensor Assignment, IReadOnlyList<double> Objective) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() { Centroids.Dispose(); Assignment.Dispose(); }
}

/// <summary>Outcome of <see cref="WeightSharing.Run"/>.</summary>
/// <param name="Layers">The shared layers (caller owns them).</param>
/// <param name="Weighting">Relevance method or <c>none</c>.</param>
/// <param name="Bits">Index bits per weight.</param>
/// <param name="AccuracyBefore">Test accuracy (%) before sharing.</param>
/// <param name="AccuracyShared">Right after clustering.</param>
/// <param name="AccuracyFineTuned">After fine-tuning the shared values.</param>
/// <param name="StorageBits">Index bits (n_l·bits) plus 32 bits per shared value, summed over the shared layers.</param>
public sealed record WeightSharingResult(IReadOnlyList<SharedLayer> Layers, string Weighting, int Bits, double AccuracyBefore,
    double AccuracyShared, double AccuracyFineTuned, long StorageBits);

/// <summary>
/// Non-uniform quantization by clustering — weight sharing (spec §f item 2; this package's interpretation): per
/// conv/linear layer, <see cref="WeightedKMeans"/> of the weights into K = 2^b shared values. The XAI variant
/// weights each weight's squared error by <c>v_i = φ + R̃_i</c>, <c>R̃ = |R|/max|R|</c> of the calibrated relevance
/// (<see cref="RelevanceCalibration"/>), so relevant weights are represented more precisely; the baseline is plain
/// k-means (v = 1). Fine-tuning trains the shared values: each centroid's gradient is the sum of the gradients of
/// the weights that share it (Han et al.'s Deep Compression scheme), with Adam; the other parameters (biases, batch
/// norms) train normally; assignments stay fixed.
/// </summary>
public static class WeightSharing
{
    /// <summary>Clusters every conv/linear weight of <paramref name="model"/> and writes the shared values into it.</summary>
    /// <param name="model">The model (changed in place).</param>
    /// <param name="relevance">Calibrated per-weight relevance (null = plain k-means).</param>
    /// <param name="options">Options.</param>
    public static List<SharedLayer> Cluster(nn.Module model, IReadOnlyDictionary<string, Tensor>? relevance, WeightSharingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var layers = CompressibleLayers.Of(model);
        CompressibleLayers.CheckFinite(layers);
        var km = options.KMeans with { Clusters = 1 << options.Bits };
        km.Validate();
        var result = new List<SharedLayer>();
        foreach (var l in layers)
        {
            using var scope = NewDisposeScope();
            Tensor? v = null;
            if (relevance is not null)
            {
                if (!relevance.TryGetValue(l.WeightName, out var r)) throw new KeyNotFoundException($"no relevance for '{l.WeightName}'");
                v = RelevanceAccumulator.Normalize(r.to(l.Weight.device)).to(float64).add(options.RelevanceFloor);
            }
            using var fit = WeightedKMeans.Fit(l.Weight, v, km);
            var shared = new SharedLayer(l.WeightName, fit.Centroids.to(l.Weight.dtype).DetachFromDisposeScope(),
                fit.Assignment.clone().DetachFromDisposeScope(), fit.Objective);
            Write(l.Weight, shared);
            result.Add(shared);
        }
        return result;
    }

    /// <summary>Writes <c>centroids[assignment]</c> into the weight.</summary>
    internal static void Write(Tensor weight, SharedLayer layer)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        weight.copy_(layer.Centroids.index_select(0, layer.Assignment.reshape(-1)).reshape(weight.shape));
    }

    /// <summary>
    /// Fine-tunes the shared values (and the unshared parameters) for <c>options.Epochs</c> epochs: per batch,
    /// cross-entropy backward in train mode, centroid gradient = per-cluster sum of weight gradients, Adam steps,
    /// shared values written back.
    /// </summary>
    public static void FineTune(nn.Module<Tensor, Tensor> model, IReadOnlyList<SharedLayer> layers, DatasetSplits data, TrainerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        if (options.Epochs == 0) return;
        data.RequireTrainingOptions(options.BatchSize, options.Seed);
        var device = CompressibleLayers.DeviceOf(model);
        var ps = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var sharedNames = layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var l in layers) if (!ps.ContainsKey(l.Name)) throw new KeyNotFoundException($"model has no parameter '{l.Name}'");
        using var centroidOpt = new AdamOptimizer(layers.Select(l => new AdamParameter(l.Name, l.Centroids, 0)), options.LearningRate);
        using var otherOpt = new AdamOptimizer(ps.Where(kv => !sharedNames.Contains(kv.Key))
            .Select(kv => new AdamParameter(kv.Key, kv.Value, kv.Value.ndim < 2 ? options.WeightDecay : 0)), options.LearningRate);
        var byName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        bool wasTraining = model.training;
        model.train();
        try
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                int b = 0;
                foreach (var (inputs, targets) in data.TrainBatches(epoch, 0, device))
                {
                    using (var scope = NewDisposeScope())
                    {
                        model.zero_grad();
                        var loss = nn.functional.cross_entropy(model.call(inputs), targets);
                        loss.backward();
                        centroidOpt.Step(p =>
                        {
                            var l = byName[p.Name];
                            var g = ps[p.Name].grad;
                            return g is null ? null : zeros_like(l.Centroids).index_add_(0, l.Assignment.reshape(-1), g.reshape(-1), 1.0);
                        });
                        otherOpt.Step();
                        foreach (var l in layers) Write(ps[l.Name], l);
                        inputs.Dispose(); targets.Dispose();
                    }
                    ct.ThrowIfCancellationRequested();
                    if (options.MaxBatchesPerEpoch is int m && ++b >= m) break;
                }
            }
        }
        finally { model.train(wasTraining); model.zero_grad(); }
    }

    /// <summary>Calibrates (when weighted), clusters, evaluates, fine-tunes and evaluates again.</summary>
    public static WeightSharingResult Run(nn.Module<Tensor, Tensor> model, DatasetSplits data, WeightSharingOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double before = ModelEvaluation.Accuracy(model, data.Test);
        List<SharedLayer> layers;
        using (var rel = options.IsWeighted ? RelevanceCalibration.Scores(model, data, options.Calibration with { Method = options.Weighting }, ct) : null)
            layers = Cluster(model, rel, options);
        double shared = ModelEvaluation.Accuracy(model, data.Test);
        FineTune(model, layers, data, options.FineTune, ct);
        double tuned = options.FineTune.Epochs == 0 ? shared : ModelEvaluation.Accuracy(model, data.Test);
        long bits = layers.Sum(l => l.Assignment.numel() * options.Bits + 32L * l.Centroids.numel());
        return new WeightSharingResult(layers, options.IsWeighted ? options.Weighting : "none", options.Bits, before, shared, tuned, bits);
    }
}
