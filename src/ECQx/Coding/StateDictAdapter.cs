using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Coding;

/// <summary>
/// Converts between TorchSharp state dicts (named tensors plus safetensors string metadata) and
/// <see cref="EcqxModel"/>. Which tensors become levels:
/// <list type="bullet">
/// <item>when the metadata has keys <c>ecqx.step.&lt;name&gt;</c> (the quantizer's output), exactly those tensors,
/// with that step and the bit width of <c>ecqx.bits.&lt;name&gt;</c>;</item>
/// <item>otherwise every float32 tensor with ≥ 2 dimensions (spec §a.2), its step inferred by
/// <see cref="UniformGrid.InferStep"/>.</item>
/// </list>
/// All other tensors are stored raw, in their own dtype.
/// </summary>
public static class StateDictAdapter
{
    /// <summary>Metadata key prefix of a quantized tensor's step size (decimal, round-trip formatted).</summary>
    public const string StepKeyPrefix = "ecqx.step.";

    /// <summary>Metadata key prefix of a quantized tensor's bit width (decimal).</summary>
    public const string BitsKeyPrefix = "ecqx.bits.";

    /// <summary>Builds a model from named tensors and their safetensors metadata.</summary>
    /// <exception cref="InvalidDataException">A step or bit-width entry is malformed or names a missing tensor, or a
    /// tensor is not on its grid; the message names the tensor and the offending value.</exception>
    public static EcqxModel FromStateDict(IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, GridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        metadata ??= new Dictionary<string, string>();
        options ??= GridOptions.Default;
        var items = tensors.ToList();
        var names = new HashSet<string>(items.Select(kv => kv.Key), StringComparer.Ordinal);
        var declared = DeclaredGrids(metadata, names);

        var result = new List<EcqxTensor>(items.Count);
        foreach (var (name, tensor) in items)
        {
            if (declared.Count > 0)
            {
                if (declared.TryGetValue(name, out var grid))
                {
                    if (tensor.dtype != ScalarType.Float32)
                        throw new InvalidDataException($"tensor '{name}' has a step in the metadata but dtype {tensor.dtype}; quantized tensors must be float32.");
                    double step = UniformGrid.ChooseExactStep(tensor, [grid.Step, (float)grid.Step]);
                    result.Add(UniformGrid.Quantize(name, tensor, step, grid.Bits, options));
                }
                else
                {
                    result.Add(ToRaw(name, tensor));
                }
            }
            else if (tensor.dtype == ScalarType.Float32 && tensor.dim() >= 2)
            {
                double? step = UniformGrid.InferStep(tensor, name, options);
                result.Add(step is null
                    ? new QuantizedTensor(name, tensor.shape, new int[tensor.numel()], 1.0, 1, 0)
                    : UniformGrid.Quantize(name, tensor, step.Value, null, options));
            }
            else
            {
                result.Add(ToRaw(name, tensor));
            }
        }
        return new EcqxModel(result, metadata);
    }

    /// <summary>
    /// The model's tensors as TorchSharp tensors on <paramref name="device"/> (CPU when null), in model order.
    /// Quantized tensors are <c>(float)(level · step)</c> with their value patches applied, bit-identical to what
    /// was compressed. The caller owns (and disposes) the tensors.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> ToStateDict(EcqxModel model, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureLoaded();
        var result = new List<KeyValuePair<string, Tensor>>(model.Tensors.Count);
        try
        {
            foreach (var t in model.Tensors)
            {
                var tensor = t switch
                {
                    QuantizedTensor q => Dequantize(q, device),
                    RawTensor r => FromRaw(r, device),
                    _ => throw new ArgumentException($"unsupported tensor kind {t.GetType().Name}"),
                };
                result.Add(new(t.Name, tensor));
            }
        }
        catch
        {
            foreach (var kv in result) kv.Value.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Safetensors metadata for a decompressed model: the stored metadata, with <c>ecqx.step.*</c> (round-trip
    /// formatted) and <c>ecqx.bits.*</c> set for every quantized tensor, so the file can be compressed again.
    /// </summary>
    public static Dictionary<string, string> MetadataFor(EcqxModel model)
    {
        var metadata = new Dictionary<string, string>(model.Metadata, StringComparer.Ordinal);
        foreach (var q in model.Tensors.OfType<QuantizedTensor>())
        {
            metadata[StepKeyPrefix + q.Name] = q.Step.ToString("R", CultureInfo.InvariantCulture);
            metadata[BitsKeyPrefix + q.Name] = q.BitWidth.ToString(CultureInfo.InvariantCulture);
        }
        return metadata;
    }

    /// <summary>Dequantizes one tensor: <c>(float)(level · step)</c> in double, then the value patches.</summary>
    public static Tensor Dequantize(QuantizedTensor tensor, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var levels = torch.tensor(tensor.Levels.ToArray(), dtype: int32, device: device);
        var values = (levels.to(float64) * tensor.Step).to(float32);
        if (tensor.Patches.Count > 0)
        {
            var index = torch.tensor(tensor.Patches.Select(p => (long)p.Index).ToArray(), dtype: int64, device: device);
            var patch = torch.tensor(tensor.Patches.Select(p => p.Value).ToArray(), dtype: float32, device: device);
            values.index_put_(patch, index);
        }
        return values.reshape(tensor.Shape.ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>The .ecqx element type of a TorchSharp scalar type.</summary>
    public static EcqxDType ToEcqxDType(ScalarType type) => type switch
    {
        ScalarType.Float32 => EcqxDType.Float32,
        ScalarType.Float64 => EcqxDType.Float64,
        ScalarType.Float16 => EcqxDType.Float16,
        ScalarType.BFloat16 => EcqxDType.BFloat16,
        ScalarType.Int64 => EcqxDType.Int64,
        ScalarType.Int32 => EcqxDType.Int32,
        ScalarType.Int16 => EcqxDType.Int16,
        ScalarType.Int8 => EcqxDType.Int8,
        ScalarType.Byte => EcqxDType.UInt8,
        ScalarType.Bool => EcqxDType.Bool,
        _ => throw new ArgumentException($"scalar type {type} cannot be stored in an .ecqx file"),
    };

    /// <summary>The TorchSharp scalar type of an .ecqx element type.</summary>
    public static ScalarType ToScalarType(EcqxDType type) => type switch
    {
        EcqxDType.Float32 => ScalarType.Float32,
        EcqxDType.Float64 => ScalarType.Float64,
        EcqxDType.Float16 => ScalarType.Float16,
        EcqxDType.BFloat16 => ScalarType.BFloat16,
        EcqxDType.Int64 => ScalarType.Int64,
        EcqxDType.Int32 => ScalarType.Int32,
        EcqxDType.Int16 => ScalarType.Int16,
        EcqxDType.Int8 => ScalarType.Int8,
        EcqxDType.UInt8 => ScalarType.Byte,
        EcqxDType.Bool => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown EcqxDType"),
    };

    private static RawTensor ToRaw(string name, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException(".ecqx needs a little-endian machine");
        return new RawTensor(name, ToEcqxDType(cpu.dtype), cpu.shape, cpu.bytes.ToArray());
    }

    private static Tensor FromRaw(RawTensor raw, Device? device)
    {
        var tensor = torch.empty(raw.Shape.ToArray(), ToScalarType(raw.DType));
        if (raw.ElementCount > 0) tensor.bytes = raw.Data.ToArray();
        if (device is null || device.type == DeviceType.CPU) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    private readonly record struct DeclaredGrid(double Step, int Bits);

    private static Dictionary<string, DeclaredGrid> DeclaredGrids(IReadOnlyDictionary<string, string> metadata, HashSet<string> names)
    {
        var grids = new Dictionary<string, DeclaredGrid>(StringComparer.Ordinal);
        foreach (var (key, text) in metadata)
        {
            if (!key.StartsWith(StepKeyPrefix, StringComparison.Ordinal)) continue;
            string name = key[StepKeyPrefix.Length..];
            if (!names.Contains(name))
                throw new InvalidDataException($"metadata '{key}' names tensor '{name}', which is not in the file.");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double step) || !double.IsFinite(step) || step <= 0)
                throw new InvalidDataException($"metadata '{key}' = '{text}' is not a finite positive step size.");
            string bitsKey = BitsKeyPrefix + name;
            if (!metadata.TryGetValue(bitsKey, out string? bitsText))
                throw new InvalidDataException($"metadata has '{key}' but no '{bitsKey}' for tensor '{name}'.");
            if (!int.TryParse(bitsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bits) || bits is < 1 or > 32)
                throw new InvalidDataException($"metadata '{bitsKey}' = '{bitsText}' is not a bit width in 1..32.");
            grids[name] = new DeclaredGrid(step, bits);
        }
        foreach (var key in metadata.Keys)
        {
            if (key.StartsWith(BitsKeyPrefix, StringComparison.Ordinal) && !grids.ContainsKey(key[BitsKeyPrefix.Length..]))
                throw new InvalidDataException($"metadata has '{key}' but no '{StepKeyPrefix}{key[BitsKeyPrefix.Length..]}'.");
        }
        return grids;
    }
}
