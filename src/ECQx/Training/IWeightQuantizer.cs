using ECQx.Quantization;
using TorchSharp;

namespace ECQx.Training;

/// <summary>Result of quantizing one tensor.</summary>
/// <param name="Values">The quantized tensor ŵ (same shape as the input, every entry a centroid).</param>
/// <param name="EcqSparsity">s_E, the zero fraction of the plain ECQ assignment (before any relevance correction).</param>
/// <param name="Sparsity">The zero fraction of <paramref name="Values"/> (s_X with relevance, else s_E).</param>
/// <param name="Histogram">Weights per codebook level, in ascending centroid order (the quantizer's own counts).</param>
public sealed record LayerQuantization(torch.Tensor Values, double EcqSparsity, double Sparsity, IReadOnlyList<long> Histogram);

/// <summary>
/// The trainer's view of the quantizer (the maths lives in <c>ECQx.Quantization</c>; an adapter
/// implements this seam). The trainer knows names and tensors, the quantizer knows codebooks.
/// </summary>
public interface IWeightQuantizer
{
    /// <summary>Whether the named parameter is quantized (§a.2: ≥2-D, not a downsample / aux classifier).</summary>
    bool IsQuantized(string name, torch.Tensor parameter);

    /// <summary>
    /// Builds the fixed codebook of a tensor from its pretrained FP weights (§a.3), on the weights' device. The caller
    /// owns (disposes) it.
    /// </summary>
    Codebook CreateCodebook(string name, torch.Tensor pretrained);

    /// <summary>
    /// Assigns every weight of <paramref name="background"/> to a centroid (§a.4): ECQ, or ECQx when
    /// <paramref name="relevance"/> (same shape, accumulated, signed) is given. <paramref name="largestLayerSize"/>
    /// is n_max over all quantized tensors.
    /// </summary>
    LayerQuantization Quantize(string name, torch.Tensor background, Codebook codebook, long largestLayerSize, torch.Tensor? relevance);

    /// <summary>
    /// The gradient for the FP background weights of tensor <paramref name="name"/> from the gradient w.r.t. its
    /// quantized weights <paramref name="quantized"/> (§a.5).
    /// </summary>
    torch.Tensor ScaleGradient(string name, torch.Tensor gradient, torch.Tensor quantized);
}
