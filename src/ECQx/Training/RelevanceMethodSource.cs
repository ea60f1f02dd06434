using ECQx.Relevance;
using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Adapts a weight-relevance method of <c>ECQx.Relevance</c> (LRP composites, DeepLIFT, gradient×weight,
/// magnitude, random; created by name through <see cref="RelevanceMethods.Create"/>) to the trainer's
/// <see cref="IWeightRelevanceSource"/> seam.
/// </summary>
/// <remarks>
/// Every method is a deterministic function of the model and the batch (the <c>random</c> control too: it is seeded
/// per batch), so a run resumed from a checkpoint gets the same relevances as an uninterrupted one.
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
