using ECQx.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>
/// The running relevance of spec §b.7: per tensor <c>R_acc ← (1 − α)·R_batch + α·R_acc</c> (α = 0.1 by default),
/// initialised to the first batch's relevance, on signed values; <see cref="Reset"/> at each epoch start (the
/// reference re-creates it every epoch). <see cref="Normalized"/> gives <c>|R| / (max|R| + 1e-12)</c> ∈ [0, 1] at
/// the point of use (§a.4 step 10). Owns its tensors (copies of what it is given).
/// </summary>
public sealed class RelevanceAccumulator : IDisposable
{
    /// <summary>The reference's normaliser guard.</summary>
    public const double NormalizerEpsilon = 1e-12;

    private TensorDictionary _values = new();

    /// <summary>Creates an accumulator with smoothing factor <paramref name="alpha"/> ∈ [0, 1] (weight of the old value).</summary>
    public RelevanceAccumulator(double alpha = 0.1)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
        Alpha = alpha;
    }

    /// <summary>Weight of the previous running value.</summary>
    public double Alpha { get; }

    /// <summary>Batches accumulated since the last reset or <see cref="Load"/>.</summary>
    public int Batches { get; private set; }

    /// <summary>The running (signed) relevance per tensor name.</summary>
    public IReadOnlyDictionary<string, Tensor> Values => _values;

    /// <summary>
    /// Adds one batch. Only names listed in <paramref name="names"/> are kept when it is given (e.g. the quantized
    /// tensors); a tensor whose shape changed is an error naming it.
    /// </summary>
    public void Update(IReadOnlyDictionary<string, Tensor> batch, IEnumerable<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var keys = names?.ToList() ?? batch.Keys.ToList();
        foreach (var k in keys)
        {
            if (!batch.TryGetValue(k, out var r)) throw new KeyNotFoundException($"batch relevance has no tensor '{k}'");
            if (_values.TryGetValue(k, out var old) && !old.shape.SequenceEqual(r.shape))
                throw new ArgumentException($"relevance for '{k}' changed shape from [{string.Join(", ", old.shape)}] to [{string.Join(", ", r.shape)}]");
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var k in keys)
        {
            var r = batch[k].detach();
            if (_values.TryGetValue(k, out var old))
            {
                // old ← (1 − α)·r + α·old, in place
                old.mul_(Alpha).add_(r.to(old.device).to_type(old.dtype), alpha: 1 - Alpha);
            }
            else
            {
                var copy = r.clone();
                copy.DetachFromDisposeScope();
                _values.Add(k, copy);
            }
        }
        Batches++;
    }

    /// <summary>
    /// The running relevance of <paramref name="method"/> on <paramref name="model"/> over <paramref name="batches"/> (the
    /// first <paramref name="maxBatches"/> of them when given): one attribution pass per batch, each in its own dispose
    /// scope, which also frees the batch tensors the enumeration creates (batches made beforehand stay the caller's).
    /// Keeps the tensors named in <paramref name="names"/> (all when null). The caller disposes the result.
    /// </summary>
    public static RelevanceAccumulator Accumulate(IWeightRelevanceMethod method, nn.Module model, IEnumerable<(Tensor Inputs, Tensor Targets)> batches,
        IEnumerable<string>? names = null, int? maxBatches = null, double alpha = 0.1)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        if (maxBatches is < 0) throw new ArgumentOutOfRangeException(nameof(maxBatches), maxBatches, "the number of batches must be ≥ 0");
        var kept = names?.ToList();
        var accumulator = new RelevanceAccumulator(alpha);
        try
        {
            using var e = batches.GetEnumerator();
            while (maxBatches is not int m || accumulator.Batches < m)
            {
                using var scope = NewDisposeScope();
                if (!e.MoveNext()) break;
                using var relevance = method.Attribute(model, e.Current.Inputs, e.Current.Targets);
                accumulator.Update(relevance, kept);
            }
            return accumulator;
        }
        catch
        {
            accumulator.Dispose();
            throw;
        }
    }

    /// <summary>Adds one <see cref="WeightRelevance"/> result.</summary>
    public void Update(WeightRelevance batch, IEnumerable<string>? names = null) => Update(batch.Parameters, names);

    /// <summary>Clears everything (start of an epoch).</summary>
    public void Reset()
    {
        _values.Dispose();
        _values = new TensorDictionary();
        Batches = 0;
    }

    /// <summary>
    /// Replaces the accumulated values with copies of <paramref name="values"/> (e.g. from a checkpoint) and sets
    /// <see cref="Batches"/> to 0; the next <see cref="Update(IReadOnlyDictionary{string, Tensor}, IEnumerable{string})"/>
    /// continues the running average from them.
    /// </summary>
    public void Load(IEnumerable<KeyValuePair<string, Tensor>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Reset();
        foreach (var (name, t) in values) _values.Add(name, t.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>The running relevance of <paramref name="name"/>, or null when none has been accumulated.</summary>
    public Tensor? Get(string name) => _values.TryGetValue(name, out var t) ? t : null;

    /// <summary><c>|R| / (max|R| + 1e-12)</c> of the running relevance of <paramref name="name"/> (a new tensor).</summary>
    public Tensor Normalized(string name) =>
        Normalize(Get(name) ?? throw new KeyNotFoundException($"no accumulated relevance for '{name}'"));

    /// <summary><c>|R| / (max|R| + 1e-12)</c>: per-tensor normalisation to [0, 1].</summary>
    public static Tensor Normalize(Tensor relevance)
    {
        using var scope = NewDisposeScope();
        var a = relevance.detach().abs();
        var max = a.numel() == 0 ? a.sum() : a.max();
        return a.div(max.add(NormalizerEpsilon)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => Reset();
}
