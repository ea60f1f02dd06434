using ECQx.Relevance.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>Control: relevance = |weight| for every parameter (data-independent, the classic magnitude criterion).</summary>
public sealed class MagnitudeRelevance : IWeightRelevanceMethod
{
    /// <inheritdoc/>
    public string Name => "magnitude";

    /// <inheritdoc/>
    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        EngineInputs.PrepareInputs(model, inputs, targets, Name);
        var rel = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().abs(), StringComparer.Ordinal);
        return WeightRelevance.Build(Name, model, rel, withInputRelevance ? zeros_like(inputs) : null);
    }
}

/// <summary>
/// Control: uniform random relevance in [0, 1) for every parameter, from a generator seeded once at construction
/// (so a run is reproducible and successive batches differ). Input relevance, when asked, is random too.
/// </summary>
public sealed class RandomRelevance : IWeightRelevanceMethod, IDisposable
{
    private readonly Generator _generator;

    /// <summary>Creates the control with <paramref name="seed"/>.</summary>
    public RandomRelevance(long seed = 0)
    {
        TorchRuntime.EnsureLoaded();
        Seed = seed;
        _generator = new Generator((ulong)seed, CPU);
    }

    /// <summary>The seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        using var scope = NewDisposeScope();
        EngineInputs.PrepareInputs(model, inputs, targets, Name);
        var rel = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters())
            rel[name] = rand(p.shape, dtype: p.dtype, generator: _generator).to(p.device);
        Tensor? input = withInputRelevance ? rand(inputs.shape, dtype: inputs.dtype, generator: _generator).to(inputs.device) : null;
        return WeightRelevance.Build(Name, model, rel, input);
    }

    /// <inheritdoc/>
    public void Dispose() => _generator.Dispose();
}
