using TorchSharp;

namespace ECQx.Training;

/// <summary>
/// Per-tensor running relevance of §b.7: <c>R_acc ← (1−α)·R_batch + α·R_acc</c>, initialised to the first
/// batch's relevance of each epoch (the accumulator is reset every epoch). Signed values; normalisation
/// happens in the quantizer. Its tensors are persistent (not in any dispose scope) and checkpointed.
/// </summary>
public sealed class RelevanceRunningAverage : IDisposable
{
    private readonly Dictionary<string, torch.Tensor> _acc = new(StringComparer.Ordinal);

    /// <summary>Creates an empty accumulator with history weight <paramref name="alpha"/> (reference default 0.1).</summary>
    public RelevanceRunningAverage(double alpha = 0.1)
    {
        if (alpha is < 0 or > 1 || double.IsNaN(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in [0, 1]");
        Alpha = alpha;
    }

    /// <summary>Weight of the history in the running average.</summary>
    public double Alpha { get; }

    /// <summary>True once a batch has been added since the last <see cref="Reset"/>.</summary>
    public bool HasValues => _acc.Count > 0;

    /// <summary>The accumulated relevance of a tensor, or null before the first batch of the epoch.</summary>
    public torch.Tensor? Get(string name) => _acc.TryGetValue(name, out var t) ? t : null;

    /// <summary>The accumulated tensors by name.</summary>
    public IReadOnlyDictionary<string, torch.Tensor> Values => _acc;

    /// <summary>Forgets everything (start of an epoch).</summary>
    public void Reset()
    {
        foreach (var t in _acc.Values) t.Dispose();
        _acc.Clear();
    }

    /// <summary>Adds one batch's relevances (in place; the first batch after a reset initialises).</summary>
    public void Add(IReadOnlyDictionary<string, torch.Tensor> batch)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, r) in batch)
        {
            if (_acc.TryGetValue(name, out var acc))
            {
                if (!acc.shape.SequenceEqual(r.shape))
                    throw new ArgumentException($"relevance of '{name}' has shape [{string.Join(", ", r.shape)}], the accumulator [{string.Join(", ", acc.shape)}]");
                acc.mul_(Alpha).add_(r.detach(), alpha: 1 - Alpha);
            }
            else _acc[name] = r.detach().to(torch.float32).clone().DetachFromDisposeScope();
        }
    }

    /// <summary>Replaces the state (checkpoint restore); tensors are copied.</summary>
    public void Load(IEnumerable<KeyValuePair<string, torch.Tensor>> values)
    {
        Reset();
        foreach (var (name, t) in values) _acc[name] = t.detach().clone().DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
