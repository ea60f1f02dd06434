using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>Which named parameters are quantized (spec §a.2).</summary>
public sealed record QuantizationSelectorOptions
{
    /// <summary>The reference defaults: exclude "downsample" and "aux_classifier", keep the last layer.</summary>
    public static QuantizationSelectorOptions Default { get; } = new();

    /// <summary>A tensor whose name contains any of these (ordinal) is not quantized.</summary>
    public IReadOnlyList<string> ExcludedNameParts { get; init; } = new[] { "downsample", "aux_classifier" };

    /// <summary>
    /// Also exclude the last tensor with ≥ 2 dimensions in parameter order (the reference's
    /// <c>exclude_last_layer</c>, off by default, so the final FC layer is quantized). The reference adds that
    /// name to the substring exclusion list; here exactly that tensor is excluded.
    /// </summary>
    public bool ExcludeLastLayer { get; init; }
}

/// <summary>
/// Picks the tensors to quantize: ndim ≥ 2 (conv kernels, linear weights) and no excluded name part; 1-D
/// parameters and buffers (BN, biases) are never quantized.
/// </summary>
public sealed class QuantizationSelector
{
    private readonly QuantizationSelectorOptions _options;

    /// <summary>Creates a selector (default options: the reference's).</summary>
    public QuantizationSelector(QuantizationSelectorOptions? options = null)
    {
        _options = options ?? QuantizationSelectorOptions.Default;
        if (_options.ExcludedNameParts is null || _options.ExcludedNameParts.Any(string.IsNullOrEmpty))
            throw new ArgumentException("ExcludedNameParts must not be null or contain empty strings (an empty part would exclude every tensor).");
    }

    /// <summary>Whether a tensor passes the dimension and name rules (the last-layer rule needs the whole list; see <see cref="Select(IEnumerable{ValueTuple{string, IReadOnlyList{long}}})"/>).</summary>
    public bool IsQuantizable(string name, int ndim) =>
        ndim >= 2 && !_options.ExcludedNameParts.Any(part => name.Contains(part, StringComparison.Ordinal));

    /// <summary>Names to quantize, in the given order.</summary>
    /// <exception cref="ArgumentException">A name appears twice.</exception>
    public IReadOnlyList<string> Select(IEnumerable<(string Name, IReadOnlyList<long> Shape)> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
            if (!seen.Add(name)) throw new ArgumentException($"Parameter name '{name}' appears more than once.", nameof(parameters));
        string? last = _options.ExcludeLastLayer ? list.LastOrDefault(p => p.Shape.Count >= 2).Name : null;
        return list.Where(p => IsQuantizable(p.Name, p.Shape.Count) && !string.Equals(p.Name, last, StringComparison.Ordinal))
                   .Select(p => p.Name).ToList();
    }

    /// <summary>Names to quantize among named tensors (e.g. a state dict), in the given order.</summary>
    public IReadOnlyList<string> Select(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return Select(tensors.Select(kv => (kv.Key, (IReadOnlyList<long>)kv.Value.shape)));
    }
}
