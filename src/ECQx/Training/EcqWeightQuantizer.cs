using ECQx.Quantization;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Adapts <c>ECQx.Quantization</c> (codebooks, <see cref="EntropyConstrainedQuantizer"/>, the straight-through
/// gradient scaling and the tensor selector) to the trainer's <see cref="IWeightQuantizer"/> seam.
/// </summary>
public sealed class EcqWeightQuantizer : IWeightQuantizer, IDisposable
{
    private readonly EcqQuantizerSettings _s;
    private readonly QuantizationSelector _selector;
    private readonly Dictionary<string, EcqAssignment> _last = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter; invalid settings throw an <see cref="ArgumentException"/>.</summary>
    public EcqWeightQuantizer(EcqQuantizerSettings? settings = null)
    {
        _s = settings ?? new EcqQuantizerSettings();
        _s.Validate();
        _selector = new QuantizationSelector(_s.Selection);
    }

    /// <summary>The settings.</summary>
    public EcqQuantizerSettings Settings => _s;

    /// <inheritdoc />
    public bool IsQuantized(string name, torch.Tensor parameter) => _selector.IsQuantizable(name, (int)parameter.ndim);

    /// <inheritdoc />
    public Codebook CreateCodebook(string name, torch.Tensor pretrained) => _s.CreateCodebook(name, pretrained);

    /// <inheritdoc />
    public LayerQuantization Quantize(string name, torch.Tensor background, Codebook codebook, long largestLayerSize, torch.Tensor? relevance)
    {
        var q = _s.Assign(name, background, codebook, largestLayerSize, relevance); // the one-shot step (StateDictQuantizer's)
        // Keep the result (outside any dispose scope) so the gradient scaling of the next step can use the
        // codebook-valued overload, which needs no distinct-value count.
        q.Levels.DetachFromDisposeScope();
        q.Values.DetachFromDisposeScope();
        lock (_last)
        {
            if (_last.TryGetValue(name, out var previous)) previous.Dispose();
            _last[name] = q;
        }
        double sE = q.Ecqx?.EcqSparsity ?? q.Stats.Sparsity;
        return new LayerQuantization(q.Values, sE, q.Stats.Sparsity, q.Stats.Histogram);
    }

    /// <inheritdoc />
    public torch.Tensor ScaleGradient(string name, torch.Tensor gradient, torch.Tensor quantized)
    {
        EcqAssignment? last;
        lock (_last) _last.TryGetValue(name, out last);
        // The cached assignment is normally what the trainer wrote into the model; use it only if the values match
        // (one comparison pass, much cheaper than the distinct-value count of the general overload).
        if (last is not null && last.Values.shape.SequenceEqual(quantized.shape))
        {
            using var scope = torch.NewDisposeScope();
            if (last.Values.eq(quantized).all().item<bool>())
                return StraightThroughEstimator.ScaleGradient(gradient, last, _s.GradientScaling).MoveToOuterDisposeScope();
        }
        return StraightThroughEstimator.ScaleGradient(gradient, quantized, _s.GradientScaling);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_last) { foreach (var q in _last.Values) q.Dispose(); _last.Clear(); }
    }
}
