namespace ECQx.Coding;

/// <summary>
/// The content of an .ecqx file: named tensors in order (quantized levels as integer arrays with their grid, or raw data)
/// and string metadata. It holds no TorchSharp tensors: the <c>From</c> overloads take the levels and codebooks of a
/// one-shot quantization or of an <see cref="ECQx.Quantization.QuantizedModel"/> (one-shot or trained) directly, and
/// <see cref="StateDictAdapter"/> converts to and from state dicts (a quantized state dict read from a file has its levels
/// re-derived from its values and the step/bit-width metadata of <see cref="ECQx.Quantization.QuantizedStateDict"/>).
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

    /// <summary>
    /// The .ecqx content of a quantized model (one-shot or trained): each quantized tensor's levels as they are, with its
    /// codebook's step and bit width; every other tensor raw, in state-dict order. The stored grid's lowest level is the
    /// one <c>ecqx compress</c> picks for those levels (<see cref="UniformGrid.CodebookOffset"/>), so coding a model
    /// directly and compressing its saved state dict (<see cref="ECQx.Quantization.QuantizedModel.Save"/>) give the same file.
    /// </summary>
    public static EcqxModel From(ECQx.Quantization.QuantizedModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new EcqxModel(model.Tensors.Select(t => t.Levels is TorchSharp.torch.Tensor levels && t.Codebook is { } cb
            ? Levels(t.Name, levels, cb)
            : (EcqxTensor)StateDictAdapter.ToRaw(t.Name, t.Values)).ToList(), metadata);
    }

    private static QuantizedTensor Levels(string name, TorchSharp.torch.Tensor levels, ECQx.Quantization.Codebook codebook)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        int[] values = levels.detach().reshape(-1).to(TorchSharp.torch.int32).cpu().data<int>().ToArray();
        int min = values.Length == 0 ? 0 : values.Min(), max = values.Length == 0 ? 0 : values.Max();
        int offset = UniformGrid.CodebookOffset(min, max, codebook.Bits)
            ?? throw new ArgumentException($"tensor '{name}': levels {min}…{max} do not fit a {codebook.Bits}-bit grid");
        return new QuantizedTensor(name, levels.shape, values, codebook.IsDegenerate ? 1.0 : codebook.Step, codebook.Bits, offset);
    }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<EcqxTensor> Tensors { get; }

    /// <summary>String metadata (for example the source file's safetensors metadata).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public EcqxTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor named '{name}'");
}
