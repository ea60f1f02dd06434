using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Precomputed relevances (e.g. from <c>--relevance-file</c>) used in place of a relevance method: every batch
/// "computes" the same tensors, so the running average equals them.
/// </summary>
public sealed class FixedWeightRelevance : IWeightRelevanceSource, IDisposable
{
    private readonly Dictionary<string, torch.Tensor> _values;

    /// <summary>Copies <paramref name="relevances"/> to <paramref name="device"/>.</summary>
    public FixedWeightRelevance(IReadOnlyDictionary<string, torch.Tensor> relevances, torch.Device device, string name = "file")
    {
        Name = name;
        _values = relevances.ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(torch.float32).to(device).clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, torch.Tensor> Compute(torch.nn.Module<torch.Tensor, torch.Tensor> model, torch.Tensor inputs, torch.Tensor targets, IReadOnlyCollection<string> parameterNames)
    {
        var missing = parameterNames.Where(n => !_values.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"relevances ({Name}) are missing for: {string.Join(", ", missing)}");
        return parameterNames.ToDictionary(n => n, n => _values[n]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _values.Values) t.Dispose();
    }
}
