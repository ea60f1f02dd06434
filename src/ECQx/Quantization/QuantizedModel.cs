using ECQx.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>One tensor of a <see cref="QuantizedModel"/>: its values, and for a quantized tensor its integer levels and codebook.</summary>
/// <param name="Name">State-dict key.</param>
/// <param name="Values">The tensor's values (for a quantized tensor the centroids of its levels: <c>float32(level·Δ)</c>).</param>
/// <param name="Levels">One integer level per element (int64, the shape of <paramref name="Values"/>); null for a tensor that stays in full precision.</param>
/// <param name="Codebook">The tensor's codebook; null for a tensor that stays in full precision.</param>
public sealed record QuantizedModelTensor(string Name, Tensor Values, Tensor? Levels, Codebook? Codebook)
{
    /// <summary>Whether the tensor is quantized (has levels and a codebook).</summary>
    public bool IsQuantized => Levels is not null;
}

/// <summary>
/// A quantized model: every tensor of a state dict in order, each quantized one with its integer levels and codebook, the
/// others (biases, BN parameters and buffers) as they are. Made by the one-shot path (<see cref="From(StateDictQuantization)"/>)
/// and by the trainer (<c>QuantizationAwareTrainer.ToQuantizedModel</c>); saved as a safetensors state dict in the
/// <see cref="QuantizedStateDict"/> format (<see cref="Save"/>) and coded to <c>.ecqx</c> by <c>ECQx.Coding.EcqxModel.From</c>.
/// Owns copies of everything it holds (on the CPU).
/// </summary>
public sealed class QuantizedModel : IDisposable
{
    private readonly List<QuantizedModelTensor> _tensors;
    private readonly Dictionary<string, Codebook> _codebooks = new(StringComparer.Ordinal);

    private QuantizedModel(List<QuantizedModelTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        _tensors = tensors;
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var t in tensors) if (t.Codebook is not null) _codebooks[t.Name] = t.Codebook;
    }

    /// <summary>The tensors in state-dict order.</summary>
    public IReadOnlyList<QuantizedModelTensor> Tensors => _tensors;

    /// <summary>
    /// String metadata that travels with the model (for example <c>ecqx.test_accuracy</c> of a file it was read from); never
    /// the step/bit-width entries, which <see cref="Save"/> writes from the codebooks.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The codebook of every quantized tensor.</summary>
    public IReadOnlyDictionary<string, Codebook> Codebooks => _codebooks;

    /// <summary>The state dict (values) in order; the tensors stay owned by this model.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateDict => _tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Values));

    /// <summary>The one-shot quantization's state dict, with the levels of its assignments and its codebooks.</summary>
    public static QuantizedModel From(StateDictQuantization quantization)
    {
        ArgumentNullException.ThrowIfNull(quantization);
        return Build(quantization.StateDict, name => quantization.Contains(name)
            ? (quantization[name].Codebook, quantization[name].Result.Levels) : null);
    }

    /// <summary>
    /// A state dict whose tensors named in <paramref name="codebooks"/> lie on their codebook's grid (as the trainer leaves
    /// them: every value a centroid); their levels are the centroid indices <c>round(value / Δ)</c>, exact for such values.
    /// </summary>
    /// <exception cref="ArgumentException">A codebook names no tensor, or a tensor is not on its codebook's grid (naming it).</exception>
    public static QuantizedModel FromStateDict(IEnumerable<KeyValuePair<string, Tensor>> stateDict, IReadOnlyDictionary<string, Codebook> codebooks)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(codebooks);
        var list = stateDict.ToList();
        RequireEveryCodebookNamesATensor(list, codebooks);
        return Build(list, name => codebooks.TryGetValue(name, out var cb) ? (cb, null) : null);
    }

    /// <summary>
    /// Reads a quantized model written by <see cref="Save"/> (the <see cref="QuantizedStateDict"/> format): every tensor with
    /// a step and bit width in the metadata is quantized, its levels <c>round(value / Δ)</c>, its codebook the spec §a.3
    /// one holding them (<see cref="Codebook.LowestLevelHolding"/>); every other tensor stays as it is; the remaining
    /// metadata is kept (<see cref="Metadata"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot be read, declares no quantized tensor, a declared grid is
    /// malformed or wider than <see cref="Codebook.MaxBits"/>, a declared tensor is not float32, or a value is not a centroid
    /// of its grid; the message names the file, tensor and value.</exception>
    public static QuantizedModel Load(string path)
    {
        using var document = SafeTensors.Load(path);
        try
        {
            return Read(document.Tensors, document.Metadata);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The quantized model held by a state dict and its safetensors metadata (see <see cref="Load"/>); copies the tensors.</summary>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>.</exception>
    public static QuantizedModel Read(IEnumerable<KeyValuePair<string, Tensor>> stateDict, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(metadata);
        var list = stateDict.ToList();
        var grids = QuantizedStateDict.ReadGrids(metadata, new HashSet<string>(list.Select(kv => kv.Key), StringComparer.Ordinal));
        if (grids.Count == 0)
            throw new InvalidDataException($"no tensor is declared quantized (no '{QuantizedStateDict.StepKeyPrefix}<name>' metadata): not a quantized model");
        foreach (var (name, grid) in grids)
            if (grid.Bits > Codebook.MaxBits)
                throw new InvalidDataException($"tensor '{name}' declares {grid.Bits} bits; a quantized model's codebooks hold {Codebook.MinBits}–{Codebook.MaxBits}");
        foreach (var (name, tensor) in list)
            if (grids.ContainsKey(name) && tensor.dtype != ScalarType.Float32)
                throw new InvalidDataException($"tensor '{name}' is declared quantized but has dtype {tensor.dtype}; quantized tensors are float32");
        var kept = metadata.Where(kv => !QuantizedStateDict.IsGridKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return Build(list, name => null, kept, name => grids.TryGetValue(name, out var g) ? g : null);
    }

    private static QuantizedModel Build(IEnumerable<KeyValuePair<string, Tensor>> stateDict, Func<string, (Codebook Codebook, Tensor? Levels)?> quantized,
        IReadOnlyDictionary<string, string>? metadata = null, Func<string, (double Step, int Bits)?>? declared = null)
    {
        var tensors = new List<QuantizedModelTensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, tensor) in stateDict)
            {
                using var scope = NewDisposeScope();
                var values = tensor.detach().cpu().clone();
                if (declared?.Invoke(name) is { } grid)
                {
                    var (read, codebook) = FromGrid(name, values, grid.Step, grid.Bits);
                    tensors.Add(new QuantizedModelTensor(name, values.MoveToOuterDisposeScope(), read.MoveToOuterDisposeScope(), codebook));
                    continue;
                }
                if (quantized(name) is not { } q)
                {
                    tensors.Add(new QuantizedModelTensor(name, values.MoveToOuterDisposeScope(), null, null));
                    continue;
                }
                var cb = q.Codebook;
                var levels = q.Levels is Tensor given ? given.detach().cpu().to(int64).clone() : LevelsOf(name, values, cb);
                var copy = new Codebook(cb.Bits, cb.Step, cb.MinLevel, CPU, cb.Name);
                tensors.Add(new QuantizedModelTensor(name, values.MoveToOuterDisposeScope(), levels.MoveToOuterDisposeScope(), copy));
            }
        }
        catch
        {
            foreach (var t in tensors) Dispose(t);
            throw;
        }
        return new QuantizedModel(tensors, metadata);
    }

    /// <summary>
    /// Levels and codebook of values declared on a grid of step <paramref name="step"/>: the step as written, or its float32
    /// rounding when that reproduces the values exactly (a step computed in float32 and written in full).
    /// </summary>
    private static (Tensor Levels, Codebook Codebook) FromGrid(string name, Tensor values, double step, int bits)
    {
        var exact = values.to(float64);
        foreach (double candidate in (double[])[step, (float)step])
        {
            var levels = exact.div(candidate).round();
            if (values.numel() > 0 && !levels.mul(candidate).to(float32).eq(values).all().item<bool>()) continue;
            int min = values.numel() == 0 ? 0 : (int)levels.min().item<double>(), max = values.numel() == 0 ? 0 : (int)levels.max().item<double>();
            int lowest = Codebook.LowestLevelHolding(min, max, bits) is int l && l <= 0 && l + (1 << bits) - 1 >= 0 ? l
                : throw new InvalidDataException($"tensor '{name}': its levels {min}…{max} do not fit a {bits}-bit codebook that holds 0 (step {step:R})");
            return (levels.to(int64), new Codebook(bits, candidate, lowest, CPU, name));
        }
        using var off = exact.div(step).round().mul(step).to(float32).ne(values).nonzero();
        long at = off[0, 0].item<long>();
        throw new InvalidDataException($"tensor '{name}' is not on its declared grid (step {step:R}): value {values.flatten()[at].item<float>():R} at index {at} is not a centroid");
    }

    /// <summary>
    /// Writes <paramref name="stateDict"/> as a quantized-model file — byte for byte the file
    /// <c>FromStateDict(stateDict, codebooks).Save(path, extraMetadata)</c> writes — without copying: every tensor named in
    /// <paramref name="codebooks"/> is checked on its grid one at a time, keeping nothing, then the tensors are written
    /// straight from the state dict. For a trainer's best-model save, which runs beside its whole state (VGG16: the 180 MB
    /// of copies and int64 levels a <see cref="QuantizedModel"/> would hold).
    /// </summary>
    /// <exception cref="ArgumentException">A codebook names no tensor of the state dict, or a tensor is off its grid.</exception>
    internal static void SaveStateDict(string path, IEnumerable<KeyValuePair<string, Tensor>> stateDict,
        IReadOnlyDictionary<string, Codebook> codebooks, IReadOnlyDictionary<string, string>? extraMetadata)
    {
        var list = stateDict.ToList();
        RequireEveryCodebookNamesATensor(list, codebooks);
        using (no_grad())
            foreach (var (name, tensor) in list)
            {
                if (!codebooks.TryGetValue(name, out var cb)) continue;
                using var scope = NewDisposeScope();
                LevelsOf(name, tensor.detach(), cb);
            }
        QuantizedStateDict.Save(path, list, codebooks, extraMetadata);
    }

    private static void RequireEveryCodebookNamesATensor(List<KeyValuePair<string, Tensor>> stateDict, IReadOnlyDictionary<string, Codebook> codebooks)
    {
        var names = stateDict.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var name in codebooks.Keys)
            if (!names.Contains(name)) throw new ArgumentException($"codebook '{name}' names no tensor of the state dict", nameof(codebooks));
    }

    /// <summary>The levels of values that lie on <paramref name="codebook"/>'s grid; values off the grid are an error naming the tensor.</summary>
    private static Tensor LevelsOf(string name, Tensor values, Codebook codebook)
    {
        if (codebook.IsDegenerate)
        {
            if (values.ne(0).any().item<bool>()) throw new ArgumentException($"tensor '{name}' has non-zero values but a degenerate (all-zero) codebook");
            return zeros(values.shape, int64);
        }
        var levels = values.to(float64).div(codebook.Step).round();
        var centroids = levels.mul(codebook.Step).to(float32);
        if (values.numel() > 0 && (!centroids.eq(values.to(float32)).all().item<bool>()
                                   || levels.min().item<double>() < codebook.MinLevel || levels.max().item<double>() > codebook.MaxLevel))
            throw new ArgumentException($"tensor '{name}' is not on the grid of its {codebook.Bits}-bit codebook (step {codebook.Step:R}, levels {codebook.MinLevel}…{codebook.MaxLevel})");
        return levels.to(int64);
    }

    /// <summary>Writes the state dict with the step and bit width of every quantized tensor (<see cref="QuantizedStateDict"/>), atomically.</summary>
    /// <remarks>The entries of <paramref name="extraMetadata"/> go beside <see cref="Metadata"/> (and win on a shared key).</remarks>
    public void Save(string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var meta = new Dictionary<string, string>(Metadata, StringComparer.Ordinal);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) meta[k] = v;
        QuantizedStateDict.Save(path, StateDict, _codebooks, meta);
    }

    private static void Dispose(QuantizedModelTensor t)
    {
        t.Values.Dispose();
        t.Levels?.Dispose();
        t.Codebook?.Dispose();
    }

    /// <summary>Frees every tensor and codebook.</summary>
    public void Dispose()
    {
        foreach (var t in _tensors) Dispose(t);
        _tensors.Clear();
        _codebooks.Clear();
    }
}
