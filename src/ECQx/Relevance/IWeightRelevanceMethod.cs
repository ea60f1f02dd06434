using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>
/// A weight-relevance method (LRP composite, DeepLIFT, gradient × weight, magnitude, random): one verb, as in
/// Captum. Implementations evaluate the model with eval-mode semantics and leave its weights, gradients and
/// train/eval mode untouched.
/// </summary>
public interface IWeightRelevanceMethod
{
    /// <summary>Name as accepted by <see cref="RelevanceMethods.Create"/> (e.g. <c>lrp:epsilon_plus_flat</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Relevance of every parameter of <paramref name="model"/> for explaining class <paramref name="targets"/>[n]
    /// of sample <paramref name="inputs"/>[n], signed and summed over the batch; with
    /// <paramref name="withInputRelevance"/> also the relevance of each input element.
    /// </summary>
    WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false);
}
