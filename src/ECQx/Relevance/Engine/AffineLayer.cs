using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>
/// One convolution, linear layer or (eval-mode) batch norm seen as an affine function <c>f(x; W, b)</c> of its
/// input, with its effective parameters (after canonization) as detached tensors. Rules evaluate
/// <see cref="Forward"/> with modified inputs and parameters; the model's own tensors are never written.
/// </summary>
public sealed class AffineLayer
{
    private readonly Func<Tensor, Tensor, Tensor?, Tensor> _forward;

    internal AffineLayer(string name, LayerKind kind, Tensor weight, Tensor? bias, string? weightParameter, string? biasParameter,
        Func<Tensor, Tensor, Tensor?, Tensor> forward)
    {
        Name = name;
        Kind = kind;
        Weight = weight;
        Bias = bias;
        WeightParameter = weightParameter;
        BiasParameter = biasParameter;
        _forward = forward;
    }

    /// <summary>Qualified module name (e.g. <c>layer1.0.conv1</c>).</summary>
    public string Name { get; }

    /// <summary>Convolution, Linear or BatchNorm.</summary>
    public LayerKind Kind { get; }

    /// <summary>Effective weight (for a batch norm: the per-channel scale γ).</summary>
    public Tensor Weight { get; internal set; }

    /// <summary>Effective bias, or null.</summary>
    public Tensor? Bias { get; internal set; }

    /// <summary>Model parameter whose relevance the weight rule's result for <see cref="Weight"/> is, or null.</summary>
    public string? WeightParameter { get; internal set; }

    /// <summary>Model parameter whose relevance the weight rule's result for <see cref="Bias"/> is, or null.</summary>
    public string? BiasParameter { get; internal set; }

    /// <summary>Evaluates the layer with the given input and parameters (bias may be null).</summary>
    public Tensor Forward(Tensor input, Tensor weight, Tensor? bias) => _forward(input, weight, bias);

    /// <summary>Replaces the forward function (used by canonizers that change how the layer is parameterised).</summary>
    internal AffineLayer WithForward(Func<Tensor, Tensor, Tensor?, Tensor> forward) =>
        new(Name, Kind, Weight, Bias, WeightParameter, BiasParameter, forward);
}
