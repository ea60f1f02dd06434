using ECQx.Data;
using ECQx.Relevance;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;
using ECQx.IO;

namespace ECQx.XaiCompression;

/// <summary>Options of <see cref="RelevanceCalibration.Scores"/>.</summary>
public sealed record CalibrationOptions
{
    /// <summary>
    /// Relevance method by registry name (<see cref="RelevanceMethods.Create"/>): <c>deeplift</c> (zero reference),
    /// <c>deeplift:mean</c>, <c>lrp</c>, <c>lrp:&lt;composite&gt;</c>, <c>gradxweight</c>, <c>magnitude</c>, <c>random</c>.
    /// </summary>
    public string Method { get; init; } = "deeplift";
    /// <summary>Number of calibration batches N (the first batches of the training split's epoch 0, in its batch size and seed).</summary>
    public int Batches { get; init; } = 8;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Method)) throw new ArgumentException("calibration relevance method is empty");
        if (Batches < 1) throw new ArgumentException($"calibration batches must be ≥ 1 (got {Batches})");
    }
}

/// <summary>
/// Per-weight relevance scores over a calibration set — this package's interpretation of how Sabih, Hannig and
/// Teich (2020, spec §f) aggregate DeepLIFT: for every convolution/linear weight the <b>mean over N calibration
/// batches of the absolute batch relevance</b>, <c>s = (1/N) Σ_batches |R_batch|</c>, where <c>R_batch</c> is the
/// method's signed weight relevance of one batch (for DeepLIFT the weight contributions
/// <c>C_W = W ⊙ ∂/∂W⟨f_W(Δa), m_z⟩</c> of docs/relevance.md, targets = the true labels, ÷ batch size).
/// <c>magnitude</c> needs no data and gives <c>|W|</c>.
/// </summary>
public static class RelevanceCalibration
{
    /// <summary>
    /// Scores every weight of every convolution/linear layer of <paramref name="model"/>; the result maps the
    /// weight's state-dict name to a non-negative tensor of its shape (the caller disposes the dictionary). The model's
    /// weights and mode are not changed. <paramref name="data"/> may be null only for <c>magnitude</c>.
    /// <paramref name="cancellationToken"/> is checked before every calibration batch.
    /// </summary>
    public static TensorDictionary Scores(nn.Module<Tensor, Tensor> model, DatasetSplits? data, CalibrationOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var layers = CompressibleLayers.Of(model);
        CompressibleLayers.CheckFinite(layers);
        var method = RelevanceMethods.Create(options.Method);
        try
        {
            if (method is MagnitudeRelevance)
            {
                using var noGrad = no_grad();
                return new TensorDictionary(layers.Select(l => new KeyValuePair<string, Tensor>(l.WeightName, l.Weight.detach().abs().clone().DetachFromDisposeScope())));
            }
            if (data is null) throw new ArgumentException($"relevance method '{options.Method}' needs calibration data");
            var device = CompressibleLayers.DeviceOf(model);
            var sums = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            int seen = 0;
            foreach (var (inputs, targets) in data.TrainBatches(0, 0, device))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                {
                    using var r = method.Attribute(model, inputs, targets);
                    using var noGrad = no_grad();
                    foreach (var l in layers)
                    {
                        var a = r[l.WeightName].detach().abs().to(float64);
                        if (!a.isfinite().all().item<bool>())
                            throw new InvalidOperationException($"relevance method '{method.Name}' gave non-finite relevance for '{l.WeightName}'");
                        if (sums.TryGetValue(l.WeightName, out var s)) s.add_(a);
                        else sums[l.WeightName] = a.clone().DetachFromDisposeScope();
                    }
                    inputs.Dispose(); targets.Dispose();
                }
                if (++seen >= options.Batches) break;
            }
            if (seen == 0) throw new ArgumentException("the calibration data has no training batches");
            foreach (var (k, s) in sums)
            {
                using var noGrad = no_grad();
                s.div_(seen);
                var f = s.to(float32).DetachFromDisposeScope();
                s.Dispose();
                sums[k] = f;
            }
            return new TensorDictionary(sums);
        }
        finally { (method as IDisposable)?.Dispose(); }
    }
}
