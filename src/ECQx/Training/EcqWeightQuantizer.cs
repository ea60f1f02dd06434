using System.Runtime.CompilerServices;
using ECQx.Quantization;
using TorchSharp;

namespace ECQx.Training;

/// <summary>Settings of <see cref="EcqWeightQuantizer"/>.</summary>
public sealed record EcqQuantizerSettings
{
    /// <summary>Bit width of every quantized tensor (§a.3), in [<see cref="Codebook.MinBits"/>, <see cref="Codebook.MaxBits"/>].</summary>
    public int Bits { get; init; } = 4;
    /// <summary>ECQ options (Λ, PMF bias, λ_max variant, sustain; §a.4).</summary>
    public EcqOptions Ecq { get; init; } = EcqOptions.Default;
    /// <summary>ECQx options (ρ, p, β search; §a.4 step 10), used when relevance is given.</summary>
    public EcqxOptions Ecqx { get; init; } = EcqxOptions.Default;
    /// <summary>Codebook options (percentile, unsigned support).</summary>
    public CodebookOptions Codebook { get; init; } = CodebookOptions.Default;
    /// <summary>Which tensors are quantized (§a.2).</summary>
    public QuantizationSelectorOptions Selection { get; init; } = QuantizationSelectorOptions.Default;
    /// <summary>Gradient scaling of the straight-through estimator (§a.5; signed centroid by default).</summary>
    public GradientScaling GradientScaling { get; init; } = GradientScaling.SignedCentroid;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Bits < ECQx.Quantization.Codebook.MinBits || Bits > ECQx.Quantization.Codebook.MaxBits)
            throw new ArgumentException($"bits must be in [{ECQx.Quantization.Codebook.MinBits}, {ECQx.Quantization.Codebook.MaxBits}] (got {Bits})");
        if (!(Ecq.Lambda >= 0) || double.IsInfinity(Ecq.Lambda)) throw new ArgumentException($"lambda must be a finite number ≥ 0 (got {Ecq.Lambda})");
        Ecq.Validate();
        Ecqx.Validate();
    }
}

/// <summary>
/// Adapts <c>ECQx.Quantization</c> (codebooks, <see cref="EntropyConstrainedQuantizer"/>, the straight-through
/// gradient scaling and the tensor selector) to the trainer's <see cref="IWeightQuantizer"/> seam.
/// </summary>
public sealed class EcqWeightQuantizer : IWeightQuantizer, IDisposable
{
    private readonly EcqQuantizerSettings _s;
    private readonly QuantizationSelector _selector;
    private readonly ConditionalWeakTable<LayerCodebook, Codebook> _codebooks = new();
    private readonly List<Codebook> _owned = new();
    private readonly Dictionary<string, EcqAssignment> _last = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter; invalid settings throw an <see cref="ArgumentException"/>.</summary>
    public EcqWeightQuantizer(EcqQuantizerSettings? settings = null)
    {
        _s = settings ?? new EcqQuantizerSettings();
        _s.Validate();
        _selector = new QuantizationSelector(_s.Selection);
    }

    /// <summary>The settings.</summary>
    public EcqQuantizerSettings Settings => _s;

    /// <inheritdoc />
    public bool IsQuantized(string name, torch.Tensor parameter) => _selector.IsQuantizable(name, (int)parameter.ndim);

    /// <inheritdoc />
    public LayerCodebook CreateCodebook(string name, torch.Tensor pretrained)
    {
        var cb = Codebook.FromWeights(pretrained, _s.Bits, _s.Codebook, name);
        lock (_owned) _owned.Add(cb);
        var layer = new LayerCodebook(cb.Centroids.to(pretrained.device).clone().DetachFromDisposeScope(), cb.Step, cb.Bits);
        _codebooks.AddOrUpdate(layer, cb);
        return layer;
    }

    /// <inheritdoc />
    public LayerQuantization Quantize(string name, torch.Tensor background, LayerCodebook codebook, long largestLayerSize, torch.Tensor? relevance)
    {
        var cb = Resolve(name, codebook);
        var q = EntropyConstrainedQuantizer.Assign(background, cb, _s.Ecq, largestLayerSize, name, relevance, relevance is null ? null : _s.Ecqx);
        // Keep the result (outside any dispose scope) so the gradient scaling of the next step can use the
        // codebook-valued overload, which needs no distinct-value count.
        q.Levels.DetachFromDisposeScope();
        q.Values.DetachFromDisposeScope();
        lock (_last)
        {
            if (_last.TryGetValue(name, out var previous)) previous.Dispose();
            _last[name] = q;
        }
        double sE = q.Ecqx?.EcqSparsity ?? q.Stats.Sparsity;
        return new LayerQuantization(q.Values, sE, q.Stats.Sparsity);
    }

    /// <inheritdoc />
    public torch.Tensor ScaleGradient(string name, torch.Tensor gradient, torch.Tensor quantized)
    {
        EcqAssignment? last;
        lock (_last) _last.TryGetValue(name, out last);
        // The cached assignment is normally what the trainer wrote into the model; use it only if the values match
        // (one comparison pass, much cheaper than the distinct-value count of the general overload).
        if (last is not null && last.Values.shape.SequenceEqual(quantized.shape))
        {
            using var scope = torch.NewDisposeScope();
            if (last.Values.eq(quantized).all().item<bool>())
                return StraightThroughEstimator.ScaleGradient(gradient, last, _s.GradientScaling).MoveToOuterDisposeScope();
        }
        return StraightThroughEstimator.ScaleGradient(gradient, quantized, _s.GradientScaling);
    }

    /// <summary>The library codebook behind a <see cref="LayerCodebook"/> (rebuilt from step, bits and the lowest centroid after a checkpoint restore).</summary>
    private Codebook Resolve(string name, LayerCodebook layer)
    {
        if (_codebooks.TryGetValue(layer, out var cb)) return cb;
        int minLevel = layer.StepSize == 0 ? 0 : (int)Math.Round(layer.Centroids[0].item<float>() / layer.StepSize);
        cb = new Codebook(layer.Bits, layer.StepSize, minLevel, layer.Centroids.device, name);
        lock (_owned) _owned.Add(cb);
        _codebooks.AddOrUpdate(layer, cb);
        return cb;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_owned) { foreach (var cb in _owned) cb.Dispose(); _owned.Clear(); }
        lock (_last) { foreach (var q in _last.Values) q.Dispose(); _last.Clear(); }
    }
}
