namespace ECQx.Coding;

/// <summary>
/// The content of an .ecqx file: named tensors in order (quantized levels as integer arrays with their grid, or raw data)
/// and string metadata. It holds no TorchSharp tensors: <see cref="From"/> takes a one-shot quantization's levels and
/// codebooks directly, and <see cref="StateDictAdapter"/> converts to and from state dicts (a quantized state dict's
/// levels are re-derived from its values and the step/bit-width metadata of <c>ECQx.Quantization.QuantizedStateDict</c>).
/// </summary>
public sealed class EcqxModel
{
    private readonly Dictionary<string, EcqxTensor> _byName;

    /// <summary>Creates a model; tensor names must be unique.</summary>
    public EcqxModel(IEnumerable<EcqxTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Tensors = tensors.ToArray();
        _byName = new Dictionary<string, EcqxTensor>(StringComparer.Ordinal);
        foreach (var t in Tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (!_byName.TryAdd(t.Name, t)) throw new ArgumentException($"tensor name '{t.Name}' appears twice", nameof(tensors));
        }
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The .ecqx content of a one-shot quantization: its quantized tensors as levels
    /// (<see cref="QuantizedTensor.From"/>), every other tensor of its state dict raw, in state-dict order.
    /// </summary>
    public static EcqxModel From(ECQx.Quantization.StateDictQuantization quantization, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(quantization);
        return new EcqxModel(quantization.StateDict.Select(kv => quantization.Contains(kv.Key)
            ? QuantizedTensor.From(quantization[kv.Key].Result, quantization[kv.Key].Codebook)
            : (EcqxTensor)StateDictAdapter.ToRaw(kv.Key, kv.Value)).ToList(), metadata);
    }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<EcqxTensor> Tensors { get; }

    /// <summary>String metadata (for example the source file's safetensors metadata).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public EcqxTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor named '{name}'");
}
