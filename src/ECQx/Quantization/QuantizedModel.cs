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

    private QuantizedModel(List<QuantizedModelTensor> tensors)
    {
        _tensors = tensors;
        foreach (var t in tensors) if (t.Codebook is not null) _codebooks[t.Name] = t.Codebook;
    }

    /// <summary>The tensors in state-dict order.</summary>
    public IReadOnlyList<QuantizedModelTensor> Tensors => _tensors;

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
        foreach (var name in codebooks.Keys)
            if (!list.Any(kv => kv.Key == name)) throw new ArgumentException($"codebook '{name}' names no tensor of the state dict", nameof(codebooks));
        return Build(list, name => codebooks.TryGetValue(name, out var cb) ? (cb, null) : null);
    }

    private static QuantizedModel Build(IEnumerable<KeyValuePair<string, Tensor>> stateDict, Func<string, (Codebook Codebook, Tensor? Levels)?> quantized)
    {
        var tensors = new List<QuantizedModelTensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, tensor) in stateDict)
            {
                using var scope = NewDisposeScope();
                var values = tensor.detach().cpu().clone();
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
        return new QuantizedModel(tensors);
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
    public void Save(string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        QuantizedStateDict.Save(path, StateDict, _codebooks, extraMetadata);

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
