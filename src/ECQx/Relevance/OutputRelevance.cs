using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>What is placed on the target class at the output before the backward pass (spec §b.1).</summary>
public enum OutputRelevance
{
    /// <summary>The raw target logit <c>z[n, y_n]</c> (reference default <c>output</c>).</summary>
    Logit,
    /// <summary>1 at the target class (<c>ones</c>).</summary>
    Ones,
    /// <summary>The softmax probability of the target class (<c>probability</c>).</summary>
    Probability,
}

/// <summary>Builds the starting relevance at the logits.</summary>
public static class StartRelevance
{
    /// <summary>Parses <c>output</c>/<c>logit</c>, <c>ones</c>, <c>probability</c>.</summary>
    public static OutputRelevance Parse(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "output" or "logit" or "" => OutputRelevance.Logit,
        "ones" or "one" => OutputRelevance.Ones,
        "probability" or "prob" or "softmax" => OutputRelevance.Probability,
        _ => throw new ArgumentException($"unknown output relevance '{name}'. Use output, ones or probability.", nameof(name)),
    };

    /// <summary>
    /// <c>R[n, y_n] = s(z)[n, y_n]</c> (s = identity, 1, or softmax), zero elsewhere; divided by the batch size
    /// when <paramref name="divideByBatch"/> (the reference does).
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor targets, OutputRelevance mode, bool divideByBatch = true)
    {
        using var scope = NewDisposeScope();
        var mask = OneHot(logits, targets);
        var r = mode switch
        {
            OutputRelevance.Logit => logits.detach().mul(mask),
            OutputRelevance.Ones => mask,
            OutputRelevance.Probability => nn.functional.softmax(logits.detach(), 1).mul(mask),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        if (divideByBatch) r = r.div(logits.shape[0]);
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>One-hot of <paramref name="targets"/> shaped and typed like <paramref name="logits"/>; checks the targets.</summary>
    public static Tensor OneHot(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 2) throw new ArgumentException($"expected logits [N, classes], got [{string.Join(", ", logits.shape)}]");
        long n = logits.shape[0], c = logits.shape[1];
        if (targets.dim() != 1 || targets.shape[0] != n)
            throw new ArgumentException($"targets must be a vector of {n} class indices (one per sample), got shape [{string.Join(", ", targets.shape)}]");
        using var scope = NewDisposeScope();
        var t = targets.to(logits.device).to_type(ScalarType.Int64);
        if (n > 0)
        {
            long lo = t.min().item<long>(), hi = t.max().item<long>();
            if (lo < 0 || hi >= c) throw new ArgumentException($"target class {(lo < 0 ? lo : hi)} is outside [0, {c - 1}] for a model with {c} outputs");
        }
        return nn.functional.one_hot(t, c).to_type(logits.dtype).MoveToOuterDisposeScope();
    }
}
