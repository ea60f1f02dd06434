using TorchSharp;
using ECQx.IO;

namespace ECQx.Relevance;

/// <summary>
/// Precomputed relevances (e.g. from <c>--relevance-file</c>) used in place of a relevance method: every batch
/// "attributes" the same tensors, so the running average equals them. Parameters without a given relevance get
/// zeros, as with any method (the quantize verb checks that the file covers every quantized tensor).
/// </summary>
public sealed class FixedWeightRelevance : IWeightRelevanceMethod, IDisposable
{
    private readonly TensorDictionary _values;

    /// <summary>Copies <paramref name="relevances"/> to <paramref name="device"/> as float32.</summary>
    public FixedWeightRelevance(IReadOnlyDictionary<string, torch.Tensor> relevances, torch.Device device, string name = "file")
    {
        Name = name;
        _values = new TensorDictionary(relevances.Select(kv => new KeyValuePair<string, torch.Tensor>(kv.Key, kv.Value.detach().to(torch.float32).to(device).clone().DetachFromDisposeScope())));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The stored relevances for <paramref name="model"/>'s parameters; the inputs are ignored.</summary>
    /// <exception cref="InvalidOperationException">A stored relevance names no parameter of the model or has another shape.</exception>
    public WeightRelevance Attribute(torch.nn.Module model, torch.Tensor inputs, torch.Tensor targets, bool withInputRelevance = false)
    {
        if (withInputRelevance) throw new NotSupportedException($"relevances ({Name}) are fixed weight relevances; they have no input relevance");
        using var scope = torch.NewDisposeScope();
        return WeightRelevance.Build(Name, model, _values, null);
    }

    /// <inheritdoc />
    public void Dispose() => _values.Dispose();
}
