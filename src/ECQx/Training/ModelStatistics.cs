using TorchSharp;

namespace ECQx.Training;

/// <summary>Sparsity, level histograms, entropy and the entropy size estimate of a (quantized) model.</summary>
public static class ModelStatistics
{
    /// <summary>
    /// Histogram over the codebook levels (nearest centroid of every weight), sparsity and the zeroth-order
    /// entropy of one quantized tensor.
    /// </summary>
    public static LayerMetrics Layer(string name, torch.Tensor quantized, LayerCodebook codebook, double ecqSparsity)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flat = quantized.detach().reshape(-1).to(torch.float32);
        var c = codebook.Centroids.to(flat.device).to(torch.float32);
        var level = (flat.unsqueeze(1) - c.unsqueeze(0)).abs().argmin(1);
        long k = c.shape[0];
        var counts = torch.bincount(level, minlength: k).cpu().to(torch.int64);
        long[] hist = counts.data<long>().ToArray();
        long n = flat.shape[0];
        long zeros = flat.eq(0).sum().item<long>();
        double h = 0;
        foreach (long cnt in hist)
            if (cnt > 0) { double p = (double)cnt / n; h -= p * Math.Log2(p); }
        return new LayerMetrics(name, n, n == 0 ? 0 : (double)zeros / n, h, hist, ecqSparsity, codebook.StepSize, codebook.Bits);
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
