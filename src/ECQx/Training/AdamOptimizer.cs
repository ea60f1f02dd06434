using TorchSharp;

namespace ECQx.Training;

/// <summary>One tensor updated by <see cref="AdamOptimizer"/>, with its name and L2 weight decay.</summary>
/// <param name="Name">A unique name (used as the checkpoint key of its moments).</param>
/// <param name="Value">The tensor updated in place (a model parameter or a background copy).</param>
/// <param name="WeightDecay">PyTorch-style L2 penalty added to the gradient (<c>g + wd·w</c>).</param>
public sealed record AdamParameter(string Name, torch.Tensor Value, double WeightDecay);

/// <summary>
/// Adam exactly as <c>torch.optim.Adam</c> (non-AMSGrad, L2 weight decay added to the gradient), written
/// out so its state (per-tensor step count, first and second moments) can be checkpointed and restored
/// bit for bit. The update is vectorized per tensor and runs on the tensors' device.
/// </summary>
/// <remarks>
/// Per tensor, with gradient <c>g</c>: <c>g ← g + wd·w</c>; <c>m ← β1·m + (1−β1)·g</c>;
/// <c>v ← β2·v + (1−β2)·g²</c>; <c>w ← w − (lr/(1−β1^t))·m / (√v/√(1−β2^t) + ε)</c>.
/// A tensor whose gradient is null is skipped and its step count is not advanced (as in PyTorch).
/// </remarks>
public sealed class AdamOptimizer : IDisposable
{
    private readonly AdamParameter[] _params;
    private readonly torch.Tensor[] _m, _v;
    private readonly long[] _steps;

    /// <summary>Creates the optimizer with zero moments.</summary>
    public AdamOptimizer(IEnumerable<AdamParameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be positive and finite");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), "betas must lie in [0, 1)");
        _params = parameters.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in _params)
        {
            if (!names.Add(p.Name)) throw new ArgumentException($"Adam parameter name '{p.Name}' appears twice");
            if (p.WeightDecay < 0 || double.IsNaN(p.WeightDecay)) throw new ArgumentOutOfRangeException(nameof(parameters), p.WeightDecay, $"weight decay of '{p.Name}' must be ≥ 0");
        }
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon;
        using (torch.no_grad())
        {
            _m = _params.Select(p => torch.zeros_like(p.Value).DetachFromDisposeScope()).ToArray();
            _v = _params.Select(p => torch.zeros_like(p.Value).DetachFromDisposeScope()).ToArray();
        }
        _steps = new long[_params.Length];
    }

    /// <summary>The learning rate.</summary>
    public double LearningRate { get; }
    /// <summary>First-moment decay β1.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay β2.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>The tensors this optimizer updates, in order.</summary>
    public IReadOnlyList<AdamParameter> Parameters => _params;

    /// <summary>Per-tensor step counts (the <c>t</c> of the bias corrections).</summary>
    public IReadOnlyList<long> Steps => _steps;

    /// <summary>Steps every tensor whose gradient (from <paramref name="gradientOf"/>) is not null.</summary>
    public void Step(Func<AdamParameter, torch.Tensor?> gradientOf)
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            // One scope per tensor: its gradient temporaries and denominator are freed before the next tensor's
            // (VGG16: the peak is one layer's, not 15 M weights' worth of each).
            using var scope = torch.NewDisposeScope();
            var p = _params[i];
            var g = gradientOf(p);
            if (g is null) continue;
            if (p.WeightDecay != 0) g = g.add(p.Value, alpha: p.WeightDecay);
            long t = ++_steps[i];
            _m[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _v[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            double bc1 = 1 - Math.Pow(Beta1, t);
            double bc2 = 1 - Math.Pow(Beta2, t);
            var denom = _v[i].sqrt().div_(Math.Sqrt(bc2)).add_(Epsilon);
            p.Value.addcdiv_(_m[i], denom, value: -LearningRate / bc1);
        }
    }

    /// <summary>Steps every tensor with its own <c>.grad</c> (for model parameters).</summary>
    public void Step() => Step(p => p.Value.grad);

    /// <summary>The moments as named tensors <c>{prefix}m/{name}</c> and <c>{prefix}v/{name}</c> (views, not copies).</summary>
    public IEnumerable<KeyValuePair<string, torch.Tensor>> StateTensors(string prefix)
    {
        for (int i = 0; i < _params.Length; i++)
        {
            yield return new(prefix + "m/" + _params[i].Name, _m[i]);
            yield return new(prefix + "v/" + _params[i].Name, _v[i]);
        }
    }

    /// <summary>
    /// Restores moments (from <paramref name="tensors"/> by the names of <see cref="StateTensors"/>) and step
    /// counts. Missing names or shape mismatches raise an <see cref="InvalidDataException"/> naming the tensor.
    /// </summary>
    public void LoadState(string prefix, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyList<long> steps, string source)
    {
        if (steps.Count != _params.Length)
            throw new InvalidDataException($"{source}: optimizer '{prefix}' has {steps.Count} step counts but {_params.Length} tensors are optimized");
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            CopyInto(_m[i], prefix + "m/" + _params[i].Name);
            CopyInto(_v[i], prefix + "v/" + _params[i].Name);
            _steps[i] = steps[i];
        }

        void CopyInto(torch.Tensor dst, string key)
        {
            if (!tensors.TryGetValue(key, out var src)) throw new InvalidDataException($"{source}: missing optimizer state tensor '{key}'");
            if (!src.shape.SequenceEqual(dst.shape))
                throw new InvalidDataException($"{source}: optimizer state '{key}' has shape [{string.Join(", ", src.shape)}], expected [{string.Join(", ", dst.shape)}]");
            dst.copy_(src);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
