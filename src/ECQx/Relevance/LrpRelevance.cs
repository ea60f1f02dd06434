using ECQx.Relevance.Engine;
using ECQx.Relevance.Lrp;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance;

/// <summary>
/// Layer-wise relevance propagation with weight relevance, as the ECQx reference computes it (spec §b): the
/// model is compiled into an eval-mode view, canonized, each layer gets its composite's rule, the start
/// relevance (target logit / ones / probability, divided by the batch size, §b.1) is propagated back, and every
/// hooked weighted layer's parameters get relevance from the weight rule (<c>R_W = W ⊙ ∂_W⟨f_W(x), R/stab(f_W(x))⟩</c>).
/// The model's weights, gradients and train/eval mode are not touched.
/// </summary>
public sealed class LrpRelevance : IWeightRelevanceMethod
{
    /// <summary>Creates the method; defaults are the reference's (composite <c>epsilon_plus_flat_bn_pass</c>,
    /// weight rule epsilon, canonizer <c>bn_affine</c> = batch-norm re-parameterisation, output relevance = logit, ÷ batch).</summary>
    public LrpRelevance(LrpComposite? composite = null, WeightRule? weightRule = null, Canonizer? canonizer = null,
        OutputRelevance output = OutputRelevance.Logit, bool divideByBatch = true)
    {
        Composite = composite ?? LrpComposites.Create(LrpComposites.DefaultName);
        WeightRule = weightRule ?? new EpsilonWeightRule();
        Canonizer = canonizer ?? new BatchNormAffineCanonizer();
        Output = output;
        DivideByBatch = divideByBatch;
        Name = "lrp:" + Composite.Name;
    }

    /// <inheritdoc/>
    public string Name { get; init; }
    /// <summary>The rule map.</summary>
    public LrpComposite Composite { get; }
    /// <summary>The weight rule (null: no parameter relevance, input relevance only).</summary>
    public WeightRule? WeightRule { get; }
    /// <summary>The canonizer applied to the eval-mode view.</summary>
    public Canonizer Canonizer { get; }
    /// <summary>The start relevance at the target logit.</summary>
    public OutputRelevance Output { get; }
    /// <summary>Whether the start relevance is divided by the batch size.</summary>
    public bool DivideByBatch { get; }
    /// <summary>Multiply the returned input relevance by the input (turns a gradient into gradient × input).</summary>
    internal bool InputRelevanceTimesInput { get; init; }
    /// <summary>Run 4-d CPU activations channels-last (faster convolutions; see <see cref="MemoryLayout"/>). Tests turn it off to compare.</summary>
    internal bool ChannelsLast { get; init; } = true;

    /// <inheritdoc/>
    public WeightRelevance Attribute(nn.Module model, Tensor inputs, Tensor targets, bool withInputRelevance = false)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = EngineInputs.PrepareInputs(model, inputs, targets, Name);
        if (ChannelsLast) x = MemoryLayout.ToChannelsLastOnCpu(x);
        var root = PlanCompiler.Compile(model);
        Canonizer.Apply(root);
        Composite.Assign(root);
        var backward = new LrpBackward(WeightRule);
        var logits = PlanRunner.Forward(root, x, backward.NeedsWeightGraph);
        EngineInputs.CheckLogits(logits, x.shape[0], Name);
        var start = StartRelevance.Compute(logits, targets, Output, DivideByBatch);
        // The input relevance is only computed when asked for (the first layer's rule, e.g. Flat, shapes nothing else).
        var inputRelevance = backward.Run(root, start, withInputRelevance, x);
        if (InputRelevanceTimesInput && inputRelevance is not null) inputRelevance = inputRelevance.mul(x);
        return WeightRelevance.Build(Name, model, backward.ParameterRelevance, withInputRelevance ? inputRelevance : null);
    }
}

/// <summary>
/// Control: gradient × weight, <c>R_W = W ⊙ ∂/∂W (Σ_n z[n, y_n]) / N</c> — the plain gradient of the mean target
/// logit (eval mode) times the weight; input relevance is gradient × input. Computed through the same engine
/// with the gradient rule everywhere, so the model is not touched.
/// </summary>
public static class GradientTimesWeight
{
    /// <summary>Creates the method (start: 1 at the target logit, ÷ batch).</summary>
    public static IWeightRelevanceMethod Create(bool divideByBatch = true) =>
        new LrpRelevance(LrpComposites.Gradient(), GradientWeightRule.Instance, new NoCanonizer(), OutputRelevance.Ones, divideByBatch)
        {
            Name = "gradxweight",
            InputRelevanceTimesInput = true,
        };
}
