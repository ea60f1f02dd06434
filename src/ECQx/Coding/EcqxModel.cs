namespace ECQx.Coding;

/// <summary>
/// The content of an .ecqx file: named tensors in order (quantized levels as integer arrays with their grid, or raw data)
/// and string metadata. It holds no TorchSharp tensors: the <c>From</c> overloads take the levels and codebooks of a
/// one-shot quantization or of an <see cref="ECQx.Quantization.QuantizedModel"/> (one-shot, trained, or read from its file)
/// directly, and <see cref="StateDictAdapter"/> converts to and from state dicts (a file in the quantized-model format is
/// read as a <see cref="ECQx.Quantization.QuantizedModel"/>; other state dicts have their grids inferred).
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
    /// The .ecqx content of a quantized model (one-shot, trained, or read with <c>QuantizedModel.Load</c>): each quantized
    /// tensor's levels as they are, with its codebook's step and bit width (and a value patch wherever a value is not
    /// bit-identical to its centroid, e.g. −0.0, so the file decodes to exactly the model's values); every other tensor raw,
    /// in state-dict order; the model's <see cref="ECQx.Quantization.QuantizedModel.Metadata"/> unless
    /// <paramref name="metadata"/> is given. The stored grid's lowest level is
    /// <see cref="ECQx.Quantization.Codebook.LowestLevelHolding"/> of the levels.
    /// </summary>
    public static EcqxModel From(ECQx.Quantization.QuantizedModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new EcqxModel(model.Tensors.Select(t => t.Levels is TorchSharp.torch.Tensor levels && t.Codebook is { } cb
            ? Levels(t.Name, t.Values, levels, cb)
            : (EcqxTensor)StateDictAdapter.ToRaw(t.Name, t.Values)).ToList(), metadata ?? model.Metadata);
    }

    private static QuantizedTensor Levels(string name, TorchSharp.torch.Tensor values, TorchSharp.torch.Tensor levels, ECQx.Quantization.Codebook codebook)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var flatLevels = levels.detach().reshape(-1).to(TorchSharp.torch.int32).cpu();
        int[] ints = flatLevels.data<int>().ToArray();
        int min = ints.Length == 0 ? 0 : ints.Min(), max = ints.Length == 0 ? 0 : ints.Max();
        int offset = ECQx.Quantization.Codebook.LowestLevelHolding(min, max, codebook.Bits)
            ?? throw new ArgumentException($"tensor '{name}': levels {min}…{max} do not fit a {codebook.Bits}-bit grid");
        double step = codebook.IsDegenerate ? 1.0 : codebook.Step;
        var flat = values.detach().reshape(-1).cpu();
        var decoded = (flatLevels.to(TorchSharp.torch.float64) * step).to(TorchSharp.torch.float32);
        var differs = decoded.ne(flat).logical_or(decoded.signbit().ne(flat.signbit())).nonzero().flatten();
        long[] at = differs.data<long>().ToArray();
        float[] kept = flat.index_select(0, differs).data<float>().ToArray();
        return new QuantizedTensor(name, levels.shape, ints, step, codebook.Bits, offset, at.Select((i, k) => new ValuePatch((int)i, kept[k])).ToArray());
    }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<EcqxTensor> Tensors { get; }

    /// <summary>String metadata (for example the source file's safetensors metadata).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public EcqxTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor named '{name}'");
}
