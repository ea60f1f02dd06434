using ECQx.Quantization;
using TorchSharp;

namespace ECQx.Training;

/// <summary>Sparsity, entropy and the entropy size estimate of a (quantized) model.</summary>
public static class ModelStatistics
{
    /// <summary>
    /// The metrics row of one quantized tensor from its quantizer's result: the quantizer's level histogram, its
    /// zeroth-order entropy (<see cref="EcqMath.EntropyBits"/>) and the zero fraction.
    /// </summary>
    public static LayerMetrics Layer(string name, long count, LayerQuantization quantization, Codebook codebook) =>
        new(name, count, quantization.Sparsity, EcqMath.EntropyBits(quantization.Histogram), quantization.Histogram.ToArray(),
            quantization.EcqSparsity, codebook.Step, codebook.Bits);

    /// <summary>
    /// The metrics row of a quantized tensor from its current values (on <paramref name="codebook"/>'s grid), for when
    /// no quantizer result is at hand: levels by <see cref="Codebook.LevelHistogram"/>, sparsity as the zero fraction.
    /// </summary>
    public static LayerMetrics Layer(string name, torch.Tensor quantized, Codebook codebook, double ecqSparsity)
    {
        using var scope = torch.NewDisposeScope();
        var values = quantized.detach();
        long n = values.numel();
        double zeros = n == 0 ? 0 : (double)values.eq(0).sum().item<long>() / n;
        return Layer(name, n, new LayerQuantization(values, ecqSparsity, zeros, codebook.LevelHistogram(values)), codebook);
    }

    /// <summary>The metrics row of one tensor of a one-shot quantization (<see cref="StateDictQuantizer"/>), from its assignment's statistics.</summary>
    public static LayerMetrics Layer(QuantizedLayer layer)
    {
        var st = layer.Result.Stats;
        return new LayerMetrics(layer.Name, st.Count, st.Sparsity, st.EntropyBits, st.Histogram.ToArray(),
            layer.Result.Ecqx?.EcqSparsity ?? st.Sparsity, layer.Codebook.Step, layer.Codebook.Bits);
    }

    /// <summary>
    /// Zero fraction over every non-scalar floating-point state tensor (parameters and buffers such as BN
    /// running statistics), as the reference logs it (§a.4).
    /// </summary>
    public static double NetworkSparsity(IEnumerable<KeyValuePair<string, torch.Tensor>> stateDict)
    {
        using var scope = torch.NewDisposeScope();
        long zeros = 0, total = 0;
        foreach (var (_, t) in stateDict)
        {
            if (t.ndim == 0 || !t.is_floating_point()) continue;
            zeros += t.detach().eq(0).sum().item<long>();
            total += t.numel();
        }
        return total == 0 ? 0 : (double)zeros / total;
    }

    /// <summary>
    /// Entropy size estimate in bytes (§d.5): Σ n_l·H_l/8 over the quantized tensors, plus 4 bytes per element of
    /// every other non-scalar floating-point state tensor, plus 4 bytes per quantized tensor for its step size.
    /// </summary>
    public static double SizeEstimateBytes(IEnumerable<KeyValuePair<string, torch.Tensor>> stateDict, IReadOnlyCollection<LayerMetrics> layers)
    {
        var quantized = layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        double bytes = layers.Sum(l => l.Count * l.EntropyBits / 8.0) + 4.0 * layers.Count;
        foreach (var (name, t) in stateDict)
            if (t.ndim > 0 && t.is_floating_point() && !quantized.Contains(name)) bytes += 4.0 * t.numel();
        return bytes;
    }
}
