using ECQx.Relevance.Engine;
using ECQx.Relevance.Lrp;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>The DeepLIFT reference input.</summary>
public sealed class DeepLiftReference
{
    private enum Kind { Zeros, BatchMean, Given }
    private readonly Kind _kind;
    private readonly Tensor? _tensor;

    private DeepLiftReference(Kind kind, Tensor? tensor, string name) { _kind = kind; _tensor = tensor; Name = name; }

    /// <summary>All-zero reference (for normalised inputs: the dataset mean image).</summary>
    public static DeepLiftReference Zeros { get; } = new(Kind.Zeros, null, "zeros");

    /// <summary>The mean of the explained batch, per input element (an estimate of the dataset mean).</summary>
    public static DeepLiftReference BatchMean { get; } = new(Kind.BatchMean, null, "mean");

    /// <summary>
    /// A given reference: one sample (shape of an input sample, e.g. a dataset mean) broadcast over the batch, or
    /// a full batch of references with the inputs' shape. The tensor is not copied; keep it alive.
    /// </summary>
    public static DeepLiftReference Of(Tensor reference) => new(Kind.Given, reference ?? throw new ArgumentNullException(nameof(reference)), "given");

    /// <summary>Parses <c>zeros</c> or <c>mean</c>.</summary>
    public static DeepLiftReference Parse(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "zeros" or "zero" => Zeros,
        "mean" or "batch_mean" => BatchMean,
        _ => throw new ArgumentException($"unknown DeepLIFT reference '{name}'. Use zeros or mean (or pass a tensor).", nameof(name)),
    };

    /// <summary>Name (<c>zeros</c>, <c>mean</c>, <c>given</c>).</summary>
    public string Name { get; }

    /// <summary>The reference batch for inputs <paramref name="x"/>.</summary>
    internal Tensor For(Tensor x)
    {
        switch (_kind)
        {
            case Kind.Zeros: return zeros_like(x);
            case Kind.BatchMean: return x.mean(new long[] { 0 }, keepdim: true).expand_as(x).contiguous();
            default:
            {
                var t = _tensor!;
                var sample = x.shape.Skip(1).ToArray();
                if (t.shape.SequenceEqual(x.shape)) return t.to(x.device).to_type(x.dtype);
                if (t.shape.SequenceEqual(sample) || (t.dim() == x.dim() && t.shape[0] == 1 && t.shape.Skip(1).SequenceEqual(sample)))
                    return t.to(x.device).to_type(x.dtype).reshape(new[] { 1L }.Concat(sample).ToArray()).expand_as(x).contiguous();
                throw new ArgumentException($"DeepLIFT reference of shape [{string.Join(", ", t.shape)}] fits neither the inputs [{string.Join(", ", x.shape)}] nor one sample [{string.Join(", ", sample)}]");
            }
        }
    }
}

/// <summary>
/// DeepLIFT with the Rescale rule (Shrikumar et al. 2017). The input <c>x</c> and its reference <c>x₀</c> go through
/// the eval-mode network together; multipliers <c>m</c> are propagated back from the target logit
/// (<c>m = onehot(y)</c>, ÷ N by default, like the LRP start relevance): linear operations (convolutions,
/// linear layers, batch norms, average pools, reshapes, shortcuts, residual sums) pass <c>m</c> back as their
/// transposed Jacobian; a ReLU multiplies by <c>Δy/Δx = (relu(x) − relu(x₀))/(x − x₀)</c> (its gradient at x where
/// |x − x₀| &lt; 1e-10); max pooling uses its gradient at x (so summation-to-delta is exact only without max pools).
/// Input contributions are <c>m_x ⊙ (x − x₀)</c> and sum to <c>Σ_n (z[n,y_n](x) − z[n,y_n](x₀))</c> (÷ N).
/// <para>
/// <b>Weight contributions</b> (this package's definition, analogous to the LRP weight rule): a layer
/// <c>z = W a + b</c> with output multiplier <c>m_z</c> carries <c>m_z[o]·Δz[o] = Σ_i m_z[o]·W[o,i]·Δa[i]</c>; the
/// contribution of connection (i→o), summed over the batch, is
/// <c>C_W[o,i] = W[o,i] · Σ_n Δa[n,i] · m_z[n,o]</c>, i.e. <c>W ⊙ ∂/∂W ⟨f_W(Δa), m_z⟩</c> (for a convolution the
/// weight gradient with grad-output <c>m_z</c> and input <c>Δa = a − a₀</c>). Summed over a layer these give that
/// layer's share of the output difference (for a plain chain network each layer's weight contributions sum to
/// the full output difference). Biases cancel in Δz, so they get no contribution (zeros, not attributed).
/// </para>
/// </summary>
public sealed class DeepLiftRelevance : IWeightRelevanceMethod
{
    /// <summary>Below this |x − x₀| a ReLU uses its gradient instead of Δy/Δx.</summary>
    public const double RescaleThreshold = 1e-10;

    /// <summary>Creates the method with a reference (default zeros).</summary>
    public DeepLiftRelevance(DeepLiftReference? reference = null, bool divideByBatch = true)
    {
        Reference = reference ?? DeepLiftReference.Zeros;
        DivideByBatch = divideByBatch;
        Name = Reference == DeepLiftReference.Zeros ? "deeplift" : "deeplift:" + Reference.Name;
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <summary>The reference input.</summary>
    public DeepLiftReference Reference { get; }
    /// <summary>Whether the start multiplier is divided by the batch size.</summary>
    public bool DivideByBatch { get; }

    /// <inheritdoc/>
    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = EngineInputs.PrepareInputs(model, inputs, targets, Name);
        long n = x.shape[0];
        var x0 = Reference.For(x);
        var root = PlanCompiler.Compile(model);
        var both = cat(new[] { x, x0 }, 0);
        var outputs = PlanRunner.Forward(root, both, _ => true, recordInputGraph: true);
        var logits = outputs.narrow(0, 0, n);
        EngineInputs.CheckLogits(logits, n, Name);
        EngineInputs.CheckLogits(outputs.narrow(0, n, n), n, Name + " (reference)");
        var m = StartRelevance.OneHot(logits, targets);
        if (DivideByBatch) m = m.div(n);
        var backward = new DeepLiftBackward(n);
        var mx = backward.Run(root, m);
        return WeightRelevance.Build(Name, model, backward.ParameterRelevance, withInputRelevance ? mx.mul(x.sub(x0)) : null);
    }
}

/// <summary>The multiplier walk of <see cref="DeepLiftRelevance"/> over a plan recorded with [x; x₀].</summary>
internal sealed class DeepLiftBackward
{
    private readonly long _n;

    public DeepLiftBackward(long batch) => _n = batch;

    public Dictionary<string, Tensor> ParameterRelevance { get; } = new(StringComparer.Ordinal);

    public Tensor Run(PlanNode node, Tensor m)
    {
        switch (node)
        {
            case ChainPlan chain:
                for (int i = chain.Steps.Count - 1; i >= 0; i--) m = Run(chain.Steps[i], m);
                return m;
            case ResidualPlan res:
                return Run(res.Branch, m).add(Run(res.Shortcut, m));
            case AffinePlan aff:
            {
                var layer = aff.Layer;
                var rec = aff.Record ?? throw new InvalidOperationException($"layer '{aff.Name}' was not recorded");
                var inputLeaf = rec.InputLeaf ?? throw new InvalidOperationException($"layer '{aff.Name}' was recorded without its input graph");
                // One backward over [x; x₀] with grad-output [m; −m]: the weight gradient is Σ_n Δa_n·m_n, and the
                // first half of the input gradient is Jᵀm (the layer is affine in its input).
                var grads = autograd.grad(new[] { rec.Output }, new[] { inputLeaf, rec.WeightLeaf }, new[] { cat(new[] { m, m.neg() }, 0) });
                if (layer.WeightParameter is { } name)
                {
                    var c = rec.WeightLeaf.detach().mul(grads[1]);
                    ParameterRelevance[name] = ParameterRelevance.TryGetValue(name, out var prev) ? prev.add(c) : c;
                }
                return grads[0].narrow(0, 0, _n);
            }
            case FunctionPlan fn:
            {
                var x = fn.Input!.narrow(0, 0, _n);
                if (fn.Kind == LayerKind.Activation)
                {
                    var x0 = fn.Input!.narrow(0, _n, _n);
                    var dx = x.sub(x0);
                    var small = dx.abs().lt(DeepLiftRelevance.RescaleThreshold);
                    var slope = x.relu().sub(x0.relu()).div(where(small, ones_like(dx), dx));
                    slope = where(small, x.gt(0).to_type(x.dtype), slope);
                    return m.mul(slope);
                }
                return InputGradient.Of(fn.Forward, x, m);
            }
            default:
                throw new NotSupportedException($"unknown plan node {node.GetType().Name}");
        }
    }
}
