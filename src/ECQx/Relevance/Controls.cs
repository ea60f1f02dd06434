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
/// Control: uniform random relevance in [0, 1) for every parameter. Each call draws from a generator seeded by
/// <see cref="Seed"/> and a fingerprint of the batch (its shape, labels, and the sum and sum of squares of its
/// inputs), so the relevance is a deterministic function of (seed, batch): a run is reproducible, successive
/// batches differ, and a training run resumed from a checkpoint sees exactly the relevances of an uninterrupted
/// one. Input relevance, when asked, is random too.
/// </summary>
public sealed class RandomRelevance : IWeightRelevanceMethod, IDisposable
{
    /// <summary>Creates the control with <paramref name="seed"/>.</summary>
    public RandomRelevance(long seed = 0)
    {
        TorchRuntime.EnsureLoaded();
        Seed = seed;
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
        using var generator = new Generator(BatchSeed(Seed, inputs, targets), CPU);
        var rel = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters())
            rel[name] = rand(p.shape, dtype: p.dtype, generator: generator).to(p.device);
        Tensor? input = withInputRelevance ? rand(inputs.shape, dtype: inputs.dtype, generator: generator).to(inputs.device) : null;
        return WeightRelevance.Build(Name, model, rel, input);
    }

    /// <summary>FNV-1a over the seed and the batch fingerprint: a generator seed that depends only on (seed, batch).</summary>
    internal static ulong BatchSeed(long seed, Tensor inputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        using var x = inputs.detach().to(float64);
        ulong h = 14695981039346656037UL;
        void Mix(ulong v)
        {
            for (int i = 0; i < 8; i++, v >>= 8) { h ^= v & 0xff; h *= 1099511628211UL; }
        }
        Mix((ulong)seed);
        foreach (long d in inputs.shape) Mix((ulong)d);
        foreach (long t in targets.detach().to(int64).cpu().data<long>()) Mix((ulong)t);
        Mix(BitConverter.DoubleToUInt64Bits(x.sum().item<double>()));
        Mix(BitConverter.DoubleToUInt64Bits(x.square().sum().item<double>()));
        return h;
    }

    /// <summary>Nothing to release; kept so existing <c>using</c> declarations stay valid.</summary>
    public void Dispose() { }
}
