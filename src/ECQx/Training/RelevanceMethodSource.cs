using ECQx.Relevance;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Adapts a weight-relevance method of <c>ECQx.Relevance</c> (LRP composites, DeepLIFT, gradient×weight,
/// magnitude, random; created by name through <see cref="RelevanceMethods.Create"/>) to the trainer's
/// <see cref="IWeightRelevanceSource"/> seam.
/// </summary>
/// <remarks>
/// The <c>random</c> control draws from its own private generator, which is not part of a training checkpoint, so
/// a run with it resumed mid-way is not bit-identical to an uninterrupted one (every other method is deterministic).
/// </remarks>
public sealed class RelevanceMethodSource : IWeightRelevanceSource, IDisposable
{
    private readonly IWeightRelevanceMethod _method;

    /// <summary>Wraps <paramref name="method"/>.</summary>
    public RelevanceMethodSource(IWeightRelevanceMethod method) => _method = method ?? throw new ArgumentNullException(nameof(method));

    /// <summary>Creates the method named <paramref name="name"/> (e.g. <c>lrp</c>, <c>lrp:epsilon_plus_flat</c>, <c>deeplift</c>).</summary>
    public static RelevanceMethodSource Create(string name, RelevanceOptions? options = null) => new(RelevanceMethods.Create(name, options));

    /// <inheritdoc />
    public string Name => _method.Name;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, torch.Tensor> Compute(torch.nn.Module<torch.Tensor, torch.Tensor> model, torch.Tensor inputs, torch.Tensor targets, IReadOnlyCollection<string> parameterNames)
    {
        using var relevance = _method.Attribute(model, inputs, targets);
        // copies in the caller's scope; the method's result is freed here
        return parameterNames.ToDictionary(n => n, n => relevance[n].detach().clone(), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public void Dispose() => (_method as IDisposable)?.Dispose();
}
