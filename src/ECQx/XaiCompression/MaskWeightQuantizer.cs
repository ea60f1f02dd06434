using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// Adapts fixed pruning masks to the trainer's <see cref="IWeightQuantizer"/> seam, so
/// <see cref="QuantizationAwareTrainer"/> fine-tunes with the masks held fixed: the "quantized" weight is
/// <c>background ⊙ mask</c> and the background gradient is masked too. Its "codebook" is the single value 0
/// (bits reported as 32), so the trainer's entropy/size statistics are not meaningful for pruning runs.
/// </summary>
public sealed class MaskWeightQuantizer : IWeightQuantizer
{
    private readonly IReadOnlyDictionary<string, Tensor> _masks;

    /// <summary>Wraps keep-masks (parameter name → 0/1 tensor of its shape); the tensors are used, not copied.</summary>
    public MaskWeightQuantizer(IReadOnlyDictionary<string, Tensor> masks) => _masks = masks ?? throw new ArgumentNullException(nameof(masks));

    /// <inheritdoc />
    public bool IsQuantized(string name, Tensor parameter) => _masks.ContainsKey(name);

    /// <inheritdoc />
    public LayerCodebook CreateCodebook(string name, Tensor pretrained) =>
        new(zeros(1, float32, pretrained.device).DetachFromDisposeScope(), 0, 32);

    /// <inheritdoc />
    public LayerQuantization Quantize(string name, Tensor background, LayerCodebook codebook, long largestLayerSize, Tensor? relevance)
    {
        var m = _masks[name].to(background.device).to_type(background.dtype);
        var v = background.mul(m);
        double sparsity = 1.0 - m.mean().item<float>();
        return new LayerQuantization(v, sparsity, sparsity);
    }

    /// <inheritdoc />
    public Tensor ScaleGradient(string name, Tensor gradient, Tensor quantized) =>
        gradient.mul(_masks[name].to(gradient.device).to_type(gradient.dtype));
}
