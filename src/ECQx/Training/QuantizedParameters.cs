using ECQx.IO;
using ECQx.Quantization;
using ECQx.Relevance;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>
/// The quantized parameters of a training run (§c.2–c.3): their fixed codebooks, their full-precision background
/// copies (distinct from the model's weights) and the statistics of their last assignment. Owns the codebooks and
/// background copies.
/// </summary>
internal sealed class QuantizedParameters : IDisposable
{
    private readonly IReadOnlyDictionary<string, Parameter> _paramByName;
    private readonly HashSet<string> _nameSet;
    private readonly Dictionary<string, LayerMetrics> _layerStats = new(StringComparer.Ordinal);

    /// <summary>The quantized parameters <paramref name="names"/> (in model order) of the model whose parameters are <paramref name="paramByName"/>.</summary>
    public QuantizedParameters(IReadOnlyList<string> names, IReadOnlyDictionary<string, Parameter> paramByName)
    {
        Names = names;
        _nameSet = names.ToHashSet(StringComparer.Ordinal);
        _paramByName = paramByName;
        LargestLayer = names.Count == 0 ? 0 : names.Max(n => paramByName[n].numel());
    }

    /// <summary>Names of the quantized parameters, in model order.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>n_max: the size of the largest quantized tensor.</summary>
    public long LargestLayer { get; }
    /// <summary>The full-precision background copies.</summary>
    public TensorDictionary Background { get; } = new();
    /// <summary>The fixed codebooks (empty before quantization starts).</summary>
    public Dictionary<string, Codebook> Codebooks { get; } = new(StringComparer.Ordinal);
    /// <summary>s_E of each tensor's last assignment.</summary>
    public Dictionary<string, double> EcqSparsity { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> is one of the quantized parameters.</summary>
    public bool Contains(string name) => _nameSet.Contains(name);

    /// <summary>The model parameter <paramref name="name"/>.</summary>
    public Parameter Parameter(string name) => _paramByName[name];

    /// <summary>§c.3 step 3: the fixed codebook of every quantized tensor from its current weights, and its background copy.</summary>
    /// <exception cref="ArgumentException">A weight is NaN or infinite (naming the parameter).</exception>
    public void FixCodebooks(IWeightQuantizer quantizer)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var name in Names)
        {
            var p = _paramByName[name];
            if (!p.isfinite().all().item<bool>()) throw new ArgumentException($"parameter '{name}' contains NaN or infinite values");
            Codebooks[name] = quantizer.CreateCodebook(name, p.detach());
            Background.Add(name, p.detach().clone().DetachFromDisposeScope());
        }
    }

    /// <summary>Takes a restored codebook and background copy of <paramref name="name"/> (owned from now on).</summary>
    public void Restore(string name, Codebook codebook, Tensor background)
    {
        Codebooks[name] = codebook;
        Background.Add(name, background);
    }

    /// <summary>
    /// Assigns every quantized tensor from its background copy (ECQ, or ECQx with the accumulated
    /// <paramref name="relevance"/>) and writes it into the model; returns the zero fraction of the quantized weights.
    /// </summary>
    public double Requantize(IWeightQuantizer quantizer, RelevanceAccumulator? relevance)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long zeros = 0, total = 0;
        foreach (var name in Names)
        {
            // One scope per tensor: its assignment's temporaries (costs, levels, the β search) are freed before the next
            // tensor's, so the peak is that of the largest tensor, not of all of them (VGG16: ≈ 15 M weights).
            using var layerScope = NewDisposeScope();
            var result = quantizer.Quantize(name, Background[name], Codebooks[name], LargestLayer, relevance?.Get(name));
            var p = _paramByName[name];
            p.copy_(result.Values);
            EcqSparsity[name] = result.EcqSparsity;
            _layerStats[name] = ModelStatistics.Layer(name, p.numel(), result, Codebooks[name]);
            // The quantizer's own zero fraction (its histogram's count, the one in the layer metrics), not another two
            // passes over the weights.
            long n = p.numel();
            zeros += (long)Math.Round(result.Sparsity * n);
            total += n;
        }
        return total == 0 ? 0 : (double)zeros / total;
    }

    /// <summary>The metrics of every quantized tensor (after a resume that has not re-quantized yet: from the weights).</summary>
    public List<LayerMetrics> LayerMetrics() => Names.Select(name => _layerStats.TryGetValue(name, out var stats) ? stats
        : ModelStatistics.Layer(name, _paramByName[name], Codebooks[name], EcqSparsity.GetValueOrDefault(name))).ToList();

    /// <summary>Frees the background copies and codebooks.</summary>
    public void Dispose()
    {
        Background.Dispose();
        foreach (var cb in Codebooks.Values) cb.Dispose();
    }
}
