using ECQx.Quantization;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// Adapts fixed pruning masks to the trainer's <see cref="IWeightQuantizer"/> seam, so
/// <see cref="QuantizationAwareTrainer"/> fine-tunes with the masks held fixed: the "quantized" weight is
/// <c>background ⊙ mask</c> and the background gradient is masked too. Its "codebook" is the degenerate 1-bit grid
/// (both centroids 0, every weight counted at level 0), so the trainer's entropy/size statistics are not meaningful
/// for pruning runs; the layer sparsity is the true zero fraction.
/// </summary>
public sealed class MaskWeightQuantizer : IWeightQuantizer
{
    private readonly IReadOnlyDictionary<string, Tensor> _masks;

    /// <summary>Wraps keep-masks (parameter name → 0/1 tensor of its shape); the tensors are used, not copied.</summary>
    public MaskWeightQuantizer(IReadOnlyDictionary<string, Tensor> masks) => _masks = masks ?? throw new ArgumentNullException(nameof(masks));

    /// <inheritdoc />
    public bool IsQuantized(string name, Tensor parameter) => _masks.ContainsKey(name);

    /// <inheritdoc />
    public Codebook CreateCodebook(string name, Tensor pretrained) => new(1, 0, 0, pretrained.device, name);

    /// <inheritdoc />
    public LayerQuantization Quantize(string name, Tensor background, Codebook codebook, long largestLayerSize, Tensor? relevance)
    {
        var m = _masks[name].to(background.device).to_type(background.dtype);
        var v = background.mul(m);
        double pruned = 1.0 - m.mean().item<float>();
        long n = v.numel();
        double zeros = n == 0 ? 0 : (double)v.eq(0).sum().item<long>() / n;
        var histogram = new long[codebook.Count];
        histogram[codebook.ZeroIndex] = n;
        return new LayerQuantization(v, pruned, zeros, histogram);
    }

    /// <inheritdoc />
    public Tensor ScaleGradient(string name, Tensor gradient, Tensor quantized) =>
        gradient.mul(_masks[name].to(gradient.device).to_type(gradient.dtype));
}
