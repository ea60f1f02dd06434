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
    // The codebook each tensor was last quantized with (not owned): the gradient scaling checks the model's values
    // against it instead of counting distinct values. No assignment is kept (VGG16: 180 MB of levels and values).
    private readonly Dictionary<string, Codebook> _codebookOf = new(StringComparer.Ordinal);

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
        // The one-shot step (StateDictQuantizer's) without its levels: the trainer writes values, and levels are recomputed
        // from them when the model is saved.
        var q = _s.AssignValues(name, background, codebook, largestLayerSize, relevance);
        lock (_codebookOf) _codebookOf[name] = codebook;
        double sE = q.Ecqx?.EcqSparsity ?? q.Stats.Sparsity;
        return new LayerQuantization(q.Values, sE, q.Stats.Sparsity, q.Stats.Histogram);
    }

    /// <inheritdoc />
    public torch.Tensor ScaleGradient(string name, torch.Tensor gradient, torch.Tensor quantized)
    {
        Codebook? codebook;
        lock (_codebookOf) _codebookOf.TryGetValue(name, out codebook);
        // The model's values are normally the centroids the last assignment wrote: a cheap check on the codebook then
        // replaces the distinct-value count of the general overload.
        return codebook is not null && !codebook.IsDisposed
            ? StraightThroughEstimator.ScaleGradient(gradient, quantized, codebook, _s.GradientScaling)
            : StraightThroughEstimator.ScaleGradient(gradient, quantized, _s.GradientScaling);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_codebookOf) _codebookOf.Clear();
    }
}
