using TorchSharp;

namespace ECQx.Training;

/// <summary>Result of <see cref="OneShotQuantization.Run"/>.</summary>
/// <param name="StateDict">Every input tensor, with the quantized ones replaced by their quantized values (file order kept).</param>
/// <param name="Codebooks">The codebook of every quantized tensor.</param>
/// <param name="Layers">Per quantized tensor statistics.</param>
public sealed record OneShotResult(IReadOnlyList<KeyValuePair<string, torch.Tensor>> StateDict,
    IReadOnlyDictionary<string, LayerCodebook> Codebooks, IReadOnlyList<LayerMetrics> Layers);

/// <summary>
/// One-shot quantization of a state dict without training (§c.3 steps 3–4, the <c>--epochs 0</c> path):
/// fixed codebooks from the given weights, then one ECQ assignment per quantized tensor, or ECQx when
/// precomputed relevances are supplied.
/// </summary>
public static class OneShotQuantization
{
    /// <summary>
    /// Quantizes every tensor <paramref name="quantizer"/> selects. <paramref name="relevances"/>, when given,
    /// must hold exactly one tensor of the same shape for each quantized tensor (clear errors otherwise).
    /// Returned tensors are new (the inputs are not modified) and outside any dispose scope.
    /// </summary>
    public static OneShotResult Run(IEnumerable<KeyValuePair<string, torch.Tensor>> stateDict, IWeightQuantizer quantizer,
        IReadOnlyDictionary<string, torch.Tensor>? relevances = null)
    {
        var items = stateDict.ToList();
        var selected = items.Where(kv => quantizer.IsQuantized(kv.Key, kv.Value)).ToList();
        if (selected.Count == 0) throw new ArgumentException("no tensor of the state dict is selected for quantization (need ≥2-D weights)");
        foreach (var (name, t) in selected)
        {
            using var scope = torch.NewDisposeScope();
            if (!t.is_floating_point()) throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}; quantization needs floating point");
            if (!t.isfinite().all().item<bool>()) throw new ArgumentException($"tensor '{name}' contains NaN or infinite values");
        }
        if (relevances is not null) CheckRelevances(selected, relevances);

        long nMax = selected.Max(kv => kv.Value.numel());
        var codebooks = new Dictionary<string, LayerCodebook>(StringComparer.Ordinal);
        var quantized = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        var layers = new List<LayerMetrics>();
        foreach (var (name, w) in selected)
        {
            using var scope = torch.NewDisposeScope();
            var fp = w.detach().to(torch.float32);
            var cb = quantizer.CreateCodebook(name, fp);
            cb = cb with { Centroids = cb.Centroids.DetachFromDisposeScope() };
            var rel = relevances?[name].to(fp.device);
            var q = quantizer.Quantize(name, fp, cb, nMax, rel);
            codebooks[name] = cb;
            layers.Add(ModelStatistics.Layer(name, q.Values, cb, q.EcqSparsity));
            quantized[name] = q.Values.to(w.dtype).clone().DetachFromDisposeScope();
        }
        var result = items.Select(kv => new KeyValuePair<string, torch.Tensor>(kv.Key, quantized.TryGetValue(kv.Key, out var q) ? q : kv.Value)).ToList();
        return new OneShotResult(result, codebooks, layers);
    }

    /// <summary>Checks that relevances cover exactly the quantized tensors with matching shapes.</summary>
    public static void CheckRelevances(IReadOnlyList<KeyValuePair<string, torch.Tensor>> quantizedTensors, IReadOnlyDictionary<string, torch.Tensor> relevances)
    {
        var names = quantizedTensors.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var missing = quantizedTensors.Where(kv => !relevances.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"relevances are missing for {missing.Count} quantized tensor(s): {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", …" : "")}");
        var unknown = relevances.Keys.Where(k => !names.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"relevances given for tensor(s) that are not quantized: {string.Join(", ", unknown.Take(8))}{(unknown.Count > 8 ? ", …" : "")}");
        foreach (var (name, t) in quantizedTensors)
        {
            var r = relevances[name];
            if (!r.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"relevance of '{name}' has shape [{string.Join(", ", r.shape)}] but the tensor has shape [{string.Join(", ", t.shape)}]");
        }
    }
}
