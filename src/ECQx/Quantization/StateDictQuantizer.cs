using static TorchSharp.torch;

namespace ECQx.Quantization;

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

/// <summary>
/// The result of <see cref="StateDictQuantizer.Quantize"/>: every quantized tensor's codebook and assignment (owned),
/// and the input's other tensors (referenced, not copied: keep them alive while using <see cref="StateDict"/>).
/// </summary>
public sealed class StateDictQuantization : IDisposable
{
    private readonly Dictionary<string, QuantizedLayer> _byName;
    private readonly IReadOnlyList<KeyValuePair<string, Tensor>> _input;

    internal StateDictQuantization(IReadOnlyList<QuantizedLayer> layers, IReadOnlyList<string> unquantized, long nMax,
        IReadOnlyList<KeyValuePair<string, Tensor>> input)
    {
        Layers = layers;
        Unquantized = unquantized;
        NMax = nMax;
        _input = input;
        _byName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        Codebooks = layers.ToDictionary(l => l.Name, l => l.Codebook, StringComparer.Ordinal);
    }

    /// <summary>The codebook of every quantized tensor.</summary>
    public IReadOnlyDictionary<string, Codebook> Codebooks { get; }

    /// <summary>
    /// The quantized state dict in input order: the quantized values (<see cref="EcqAssignment.Values"/>) in place of
    /// the quantized tensors, the input's tensors elsewhere. Nothing is copied.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict => MergeInto(_input).ToList();

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
    /// <param name="options">Settings (default: 4 bit, the reference defaults); <see cref="EcqQuantizerSettings.BitsPerTensor"/> overrides the bit width per tensor.</param>
    /// <param name="relevance">Optional relevance per tensor name; tensors listed here get the ECQx correction.</param>
    /// <exception cref="ArgumentException">Duplicate names; no tensor selected; a relevance name that is not a tensor or
    /// of another shape; bad options.</exception>
    public static StateDictQuantization Quantize(
        IEnumerable<KeyValuePair<string, Tensor>> tensors, EcqQuantizerSettings? options = null,
        IReadOnlyDictionary<string, Tensor>? relevance = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= new EcqQuantizerSettings();
        options.Validate();
        var list = tensors.ToList();
        var selected = new QuantizationSelector(options.Selection).Select(list);
        if (selected.Count == 0) throw new ArgumentException("no tensor of the state dict is selected for quantization (need ≥2-D weights)");
        var selectedSet = new HashSet<string>(selected, StringComparer.Ordinal);
        if (relevance is not null)
            foreach (var (name, r) in relevance)
            {
                var match = list.FirstOrDefault(kv => kv.Key == name);
                if (match.Key is null)
                    throw new ArgumentException($"Relevance is given for '{name}', which is not among the tensors.", nameof(relevance));
                if (!r.shape.SequenceEqual(match.Value.shape))
                    throw new ArgumentException($"relevance of '{name}' has shape [{string.Join(", ", r.shape)}] but the tensor has shape [{string.Join(", ", match.Value.shape)}]", nameof(relevance));
            }

        long nMax = list.Where(kv => selectedSet.Contains(kv.Key)).Select(kv => kv.Value.numel()).DefaultIfEmpty(0).Max();
        var layers = new List<QuantizedLayer>();
        try
        {
            foreach (var (name, tensor) in list)
            {
                if (!selectedSet.Contains(name)) continue;
                var codebook = options.CreateCodebook(name, tensor);
                try
                {
                    Tensor? rel = relevance is not null && relevance.TryGetValue(name, out var r) ? r : null;
                    var result = options.Assign(name, tensor, codebook, nMax, rel);
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
        return new StateDictQuantization(layers, unquantized, nMax, list);
    }

    /// <summary>
    /// Checks that <paramref name="relevances"/> cover exactly <paramref name="quantizedTensors"/> with matching shapes
    /// (an ECQx run needs a relevance for every quantized tensor); the message names the missing, unknown or
    /// mis-shaped tensors.
    /// </summary>
    /// <exception cref="ArgumentException">Coverage or shapes differ.</exception>
    public static void CheckRelevanceCoverage(IReadOnlyList<KeyValuePair<string, Tensor>> quantizedTensors, IReadOnlyDictionary<string, Tensor> relevances)
    {
        var names = quantizedTensors.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var missing = quantizedTensors.Where(kv => !relevances.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"relevances are missing for {missing.Count} quantized tensor(s): {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", …" : "")}");
        var unknown = relevances.Keys.Where(k => !names.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"relevances given for tensor(s) that are not quantized: {string.Join(", ", unknown.Take(8))}{(unknown.Count > 8 ? ", …" : "")}");
        foreach (var (name, t) in quantizedTensors)
        {
            var r = relevances[name];
            if (!r.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"relevance of '{name}' has shape [{string.Join(", ", r.shape)}] but the tensor has shape [{string.Join(", ", t.shape)}]");
        }
    }
}
