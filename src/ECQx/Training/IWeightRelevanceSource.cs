using TorchSharp;
using TorchSharp.Modules;

namespace ECQx.Training;

/// <summary>
/// The trainer's view of a weight-relevance method (LRP composite, DeepLIFT, gradient×weight, magnitude,
/// random; implemented in <c>ECQx.Relevance</c> and adapted to this seam).
/// </summary>
public interface IWeightRelevanceSource
{
    /// <summary>A short name for logs (e.g. <c>lrp:epsilon_plus_flat_bn_pass</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Computes per-parameter weight relevances of one batch (signed, summed over the batch, §b.1/b.3) for
    /// each of <paramref name="parameterNames"/>. The model is given in eval mode; the trainer restores its
    /// mode and gradients afterwards. Returned tensors have the parameters' shapes.
    /// </summary>
    IReadOnlyDictionary<string, torch.Tensor> Compute(torch.nn.Module<torch.Tensor, torch.Tensor> model,
        torch.Tensor inputs, torch.Tensor targets, IReadOnlyCollection<string> parameterNames);
}
