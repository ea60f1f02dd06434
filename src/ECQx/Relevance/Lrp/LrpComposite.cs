using ECQx.Relevance.Engine;

namespace ECQx.Relevance.Lrp;

/// <summary>
/// A composite: which rule each kind of layer gets, with an optional override for the first convolution or
/// linear layer in forward order (zennit's <c>SpecialFirstLayerMapComposite</c>, spec §b.2). Kinds without a
/// rule — and every operation marked functional — are not hooked: relevance passes them as a plain gradient
/// (ReLU masks, average pool divides, a plain residual sum copies to both paths; spec §b.5) and their
/// parameters get no relevance.
/// </summary>
public sealed class LrpComposite
{
    /// <summary>Creates a composite.</summary>
    /// <param name="name">Name (e.g. <c>epsilon_plus_flat_bn_pass</c>).</param>
    /// <param name="convolution">Rule for convolutions.</param>
    /// <param name="linear">Rule for linear layers.</param>
    /// <param name="batchNorm">Rule for batch norms (null: not hooked, plain gradient).</param>
    /// <param name="firstLayer">Rule for the first convolution/linear layer in forward order, or null.</param>
    /// <param name="activation">Rule for activation modules (zennit: Pass).</param>
    /// <param name="avgPool">Rule for average-pool modules (zennit: Norm).</param>
    /// <param name="zeroPadShortcut">Rule for the option-A shortcut module (the reference's LambdaLayer: Norm).</param>
    /// <param name="residualSum">Rule for hooked sums (zennit's Sum: Norm).</param>
    public LrpComposite(string name, AffineRule convolution, AffineRule linear, LrpRule? batchNorm, AffineRule? firstLayer,
        LrpRule? activation = null, LrpRule? avgPool = null, LrpRule? zeroPadShortcut = null, LrpRule? residualSum = null)
    {
        Name = name;
        Convolution = convolution ?? throw new ArgumentNullException(nameof(convolution));
        Linear = linear ?? throw new ArgumentNullException(nameof(linear));
        BatchNorm = batchNorm;
        FirstLayer = firstLayer;
        Activation = activation ?? PassRule.Instance;
        AvgPool = avgPool ?? NormRule.Instance;
        ZeroPadShortcut = zeroPadShortcut ?? NormRule.Instance;
        ResidualSum = residualSum ?? NormRule.Instance;
    }

    /// <summary>Composite name.</summary>
    public string Name { get; }
    /// <summary>Rule for convolutions.</summary>
    public AffineRule Convolution { get; }
    /// <summary>Rule for linear layers.</summary>
    public AffineRule Linear { get; }
    /// <summary>Rule for batch norms, or null (not hooked).</summary>
    public LrpRule? BatchNorm { get; }
    /// <summary>Override for the first convolution/linear layer, or null.</summary>
    public AffineRule? FirstLayer { get; }
    /// <summary>Rule for activation modules.</summary>
    public LrpRule Activation { get; }
    /// <summary>Rule for average-pool modules.</summary>
    public LrpRule AvgPool { get; }
    /// <summary>Rule for the option-A shortcut module.</summary>
    public LrpRule ZeroPadShortcut { get; }
    /// <summary>Rule for hooked residual sums.</summary>
    public LrpRule ResidualSum { get; }

    /// <summary>The rule for a layer of <paramref name="kind"/>, or null when such a layer is not hooked.</summary>
    public LrpRule? RuleFor(LayerKind kind, bool functional, bool isFirstWeightedLayer)
    {
        if (functional) return null;
        if (isFirstWeightedLayer && FirstLayer is not null && kind is LayerKind.Convolution or LayerKind.Linear) return FirstLayer;
        return kind switch
        {
            LayerKind.Convolution => Convolution,
            LayerKind.Linear => Linear,
            LayerKind.BatchNorm => BatchNorm,
            LayerKind.Activation => Activation,
            LayerKind.AvgPool => AvgPool,
            LayerKind.ZeroPadShortcut => ZeroPadShortcut,
            LayerKind.ResidualSum => ResidualSum,
            _ => null, // max pool, reshape, dropout, identity: not hooked in the reference composites
        };
    }

    /// <summary>Assigns rules to every layer of a compiled model.</summary>
    internal void Assign(PlanNode root)
    {
        bool firstSeen = false;
        AssignNode(root, ref firstSeen);
    }

    private void AssignNode(PlanNode node, ref bool firstSeen)
    {
        switch (node)
        {
            case ChainPlan chain:
                foreach (var s in chain.Steps) AssignNode(s, ref firstSeen);
                break;
            case ResidualPlan res:
                AssignNode(res.Branch, ref firstSeen);
                AssignNode(res.Shortcut, ref firstSeen);
                res.Rule = RuleFor(LayerKind.ResidualSum, res.FunctionalAdd, false);
                break;
            case LeafPlan leaf:
                bool isFirst = !firstSeen && !leaf.Functional && leaf.Kind is LayerKind.Convolution or LayerKind.Linear;
                if (isFirst) firstSeen = true;
                leaf.Rule = RuleFor(leaf.Kind, leaf.Functional, isFirst);
                break;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The reference's named composites (spec §b.2).</summary>
public static class LrpComposites
{
    /// <summary>The reference default.</summary>
    public const string DefaultName = "epsilon_plus_flat_bn_pass";

    private static readonly Dictionary<string, Func<LrpComposite>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["epsilon_plus_flat_bn_pass"] = () => new("epsilon_plus_flat_bn_pass", new ZPlusRule(), new EpsilonRule(), PassRule.Instance, new FlatRule()),
        ["epsilon_plus_flat"] = () => new("epsilon_plus_flat", new ZPlusRule(), new EpsilonRule(), new ZPlusRule(), new FlatRule()),
        ["epsilon_plus"] = () => new("epsilon_plus", new ZPlusRule(), new EpsilonRule(), new ZPlusRule(), null),
        ["alpha2_beta1_flat"] = () => new("alpha2_beta1_flat", new AlphaBetaRule(2, 1), new EpsilonRule(), new AlphaBetaRule(2, 1), new FlatRule()),
        ["alpha2_beta1_flat_bn_pass"] = () => new("alpha2_beta1_flat_bn_pass", new AlphaBetaRule(2, 1), new EpsilonRule(), PassRule.Instance, new FlatRule()),
        ["epsilon_alpha2_beta1"] = () => new("epsilon_alpha2_beta1", new AlphaBetaRule(2, 1), new EpsilonRule(), new AlphaBetaRule(2, 1), null),
        ["epsilon"] = () => new("epsilon", new EpsilonRule(), new EpsilonRule(), PassRule.Instance, null),
        ["epsilon_flat"] = () => new("epsilon_flat", new EpsilonRule(), new EpsilonRule(), new EpsilonRule(), new FlatRule()),
        ["epsilon_gamma_flat"] = () => new("epsilon_gamma_flat", new GammaRule(0.1), new EpsilonRule(), null, new FlatRule()),
    };

    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.ToArray();

    /// <summary>Creates a composite by name; unknown names are an error listing the known ones.</summary>
    public static LrpComposite Create(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) name = DefaultName;
        if (Factories.TryGetValue(name.Trim(), out var f)) return f();
        throw new ArgumentException($"unknown LRP composite '{name}'. Known: {string.Join(", ", Factories.Keys)}", nameof(name));
    }

    /// <summary>
    /// All rules are the plain gradient: with <see cref="GradientWeightRule"/> this gives gradient × weight and
    /// gradient × input.
    /// </summary>
    public static LrpComposite Gradient() => new("gradient", GradientRule.Instance, GradientRule.Instance, GradientRule.Instance, null,
        activation: GradientRule.Instance, avgPool: GradientRule.Instance, zeroPadShortcut: GradientRule.Instance, residualSum: GradientRule.Instance);
}
