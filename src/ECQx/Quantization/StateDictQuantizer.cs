using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>Options for quantizing a whole state dict in one shot.</summary>
public sealed record StateDictQuantizationOptions
{
    /// <summary>Bit width for every quantized tensor (default 4).</summary>
    public int Bits { get; init; } = 4;

    /// <summary>Per-tensor bit widths that override <see cref="Bits"/> (optional).</summary>
    public IReadOnlyDictionary<string, int>? BitsPerTensor { get; init; }

    /// <summary>Codebook initialisation options.</summary>
    public CodebookOptions Codebook { get; init; } = CodebookOptions.Default;

    /// <summary>ECQ options (Λ etc.).</summary>
    public EcqOptions Ecq { get; init; } = EcqOptions.Default;

    /// <summary>ECQx options, used for tensors that have relevance.</summary>
    public EcqxOptions Ecqx { get; init; } = EcqxOptions.Default;

    /// <summary>Which tensors are quantized.</summary>
    public QuantizationSelectorOptions Selection { get; init; } = QuantizationSelectorOptions.Default;
}

/// <summary>One quantized tensor of a state dict: its codebook and result (both owned).</summary>
public sealed class QuantizedLayer : IDisposable
{
    internal QuantizedLayer(string name, Codebook codebook, EcqAssignment result)
    {
        Name = name;
        Codebook = codebook;
        Result = result;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The codebook made from the tensor.</summary>
    public Codebook Codebook { get; }

    /// <summary>Levels, values, statistics (and the ECQx report when relevance was given).</summary>
    public EcqAssignment Result { get; }

    /// <summary>Frees the codebook and result tensors.</summary>
    public void Dispose()
    {
        Result.Dispose();
        Codebook.Dispose();
    }
}

/// <summary>One row of a per-layer summary table (e.g. for <c>ecqx quantize --epochs 0</c> or a demo).</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Shape">Tensor shape.</param>
/// <param name="Count">Number of weights.</param>
/// <param name="Bits">Bit width.</param>
/// <param name="Step">Step Δ.</param>
/// <param name="MinLevel">Lowest level of the grid.</param>
/// <param name="Sparsity">Fraction of weights at level 0.</param>
/// <param name="EntropyBits">Entropy of the level histogram, bits per weight.</param>
/// <param name="LevelsUsed">Number of distinct levels that occur.</param>
/// <param name="LambdaMax">λ* (NaN when Λ = 0).</param>
/// <param name="EffectiveLambda">λ_l = Λ·δ·λ* (NaN when Λ = 0).</param>
/// <param name="EcqxBeta">β of the ECQx assignment (NaN without relevance or when skipped).</param>
/// <param name="EcqxIterations">Number of β evaluations (0 without relevance or when skipped).</param>
public sealed record QuantizedLayerSummary(
    string Name, IReadOnlyList<long> Shape, long Count, int Bits, double Step, int MinLevel, double Sparsity,
    double EntropyBits, int LevelsUsed, double LambdaMax, double EffectiveLambda, double EcqxBeta, int EcqxIterations);

/// <summary>The result of <see cref="StateDictQuantizer.Quantize"/>.</summary>
public sealed class StateDictQuantization : IDisposable
{
    private readonly Dictionary<string, QuantizedLayer> _byName;

    internal StateDictQuantization(IReadOnlyList<QuantizedLayer> layers, IReadOnlyList<string> unquantized, long nMax)
    {
        Layers = layers;
        Unquantized = unquantized;
        NMax = nMax;
        _byName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
    }

    /// <summary>Quantized tensors in state-dict order.</summary>
    public IReadOnlyList<QuantizedLayer> Layers { get; }

    /// <summary>Names of the tensors left in full precision (1-D, excluded names, scalars).</summary>
    public IReadOnlyList<string> Unquantized { get; }

    /// <summary>Size of the largest quantized tensor (the n_max of the layer decay).</summary>
    public long NMax { get; }

    /// <summary>Total number of quantized weights.</summary>
    public long QuantizedWeightCount => Layers.Sum(l => l.Result.Stats.Count);

    /// <summary>Fraction of quantized weights at level 0.</summary>
    public double Sparsity => QuantizedWeightCount == 0 ? 0 : Layers.Sum(l => l.Result.Stats.ZeroCount) / (double)QuantizedWeightCount;

    /// <summary>The layer with this name (throws <see cref="KeyNotFoundException"/> naming it when absent).</summary>
    public QuantizedLayer this[string name] =>
        _byName.TryGetValue(name, out var l) ? l : throw new KeyNotFoundException($"Tensor '{name}' was not quantized.");

    /// <summary>One summary row per quantized tensor, in state-dict order.</summary>
    public IReadOnlyList<QuantizedLayerSummary> Summaries() => Layers.Select(l =>
    {
        var st = l.Result.Stats;
        return new QuantizedLayerSummary(
            l.Name, l.Result.Levels.shape, st.Count, l.Codebook.Bits, l.Codebook.Step, l.Codebook.MinLevel, st.Sparsity,
            st.EntropyBits, st.Histogram.Count(h => h > 0), st.Ecq?.LambdaMax.Value ?? double.NaN,
            st.Ecq?.EffectiveLambda ?? double.NaN, l.Result.Ecqx?.Beta ?? double.NaN, l.Result.Ecqx?.Iterations ?? 0);
    }).ToList();

    /// <summary>Whether a tensor was quantized.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>
    /// The original tensors with quantized values in place of the quantized ones (same order). The yielded
    /// tensors are the originals and this result's <see cref="EcqAssignment.Values"/>; nothing is copied.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> MergeInto(IEnumerable<KeyValuePair<string, Tensor>> original)
    {
        ArgumentNullException.ThrowIfNull(original);
        foreach (var kv in original)
            yield return _byName.TryGetValue(kv.Key, out var l) ? new(kv.Key, l.Result.Values) : kv;
    }

    /// <summary>Frees every codebook and result.</summary>
    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }
}

/// <summary>
/// One-shot quantization of a whole state dict: select the tensors (spec §a.2), build each codebook from the
/// tensor itself (§a.3), and run ECQ (§a.4) — or ECQx for tensors with relevance — with n_max the largest
/// selected tensor. This is the initial quantization of spec §c.3 step 4 (and <c>ecqx quantize --epochs 0</c>).
/// </summary>
public static class StateDictQuantizer
{
    /// <summary>Quantizes the selected tensors of <paramref name="tensors"/>.</summary>
    /// <param name="tensors">Named tensors in state-dict order.</param>
    /// <param name="options">Options (default: 4 bit, the reference defaults).</param>
    /// <param name="relevance">Optional relevance per tensor name; tensors listed here get the ECQx correction.</param>
    /// <exception cref="ArgumentException">Duplicate names; a relevance name that is not a tensor; bad options.</exception>
    public static StateDictQuantization Quantize(
        IEnumerable<KeyValuePair<string, Tensor>> tensors, StateDictQuantizationOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? relevance = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= new StateDictQuantizationOptions();
        var list = tensors.ToList();
        var selected = new QuantizationSelector(options.Selection).Select(list);
        var selectedSet = new HashSet<string>(selected, StringComparer.Ordinal);
        if (relevance is not null)
            foreach (var name in relevance.Keys)
                if (!list.Any(kv => kv.Key == name))
                    throw new ArgumentException($"Relevance is given for '{name}', which is not among the tensors.", nameof(relevance));

        long nMax = list.Where(kv => selectedSet.Contains(kv.Key)).Select(kv => kv.Value.numel()).DefaultIfEmpty(0).Max();
        var layers = new List<QuantizedLayer>();
        try
        {
            foreach (var (name, tensor) in list)
            {
                if (!selectedSet.Contains(name)) continue;
                int bits = options.BitsPerTensor is not null && options.BitsPerTensor.TryGetValue(name, out int b) ? b : options.Bits;
                var codebook = Codebook.FromWeights(tensor, bits, options.Codebook, name);
                try
                {
                    Tensor? rel = relevance is not null && relevance.TryGetValue(name, out var r) ? r : null;
                    var result = EntropyConstrainedQuantizer.Assign(tensor, codebook, options.Ecq, nMax, name, rel, options.Ecqx);
                    result.Levels.DetachFromDisposeScope();
                    result.Values.DetachFromDisposeScope();
                    layers.Add(new QuantizedLayer(name, codebook, result));
                }
                catch
                {
                    codebook.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            throw;
        }
        var unquantized = list.Select(kv => kv.Key).Where(n => !selectedSet.Contains(n)).ToList();
        return new StateDictQuantization(layers, unquantized, nMax);
    }
}
