using ECQx.Relevance.Lrp;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>A node of a compiled model: the data the forward recorder and the backward passes walk.</summary>
internal abstract class PlanNode
{
    /// <summary>All leaves below this node in forward order.</summary>
    public abstract IEnumerable<LeafPlan> Leaves();
}

/// <summary>Steps in forward order.</summary>
internal sealed class ChainPlan : PlanNode
{
    public ChainPlan(List<PlanNode> steps) => Steps = steps;
    public List<PlanNode> Steps { get; }
    public override IEnumerable<LeafPlan> Leaves() => Steps.SelectMany(s => s.Leaves());
}

/// <summary><c>branch(x) + shortcut(x)</c>.</summary>
internal sealed class ResidualPlan : PlanNode
{
    public ResidualPlan(string name, PlanNode branch, PlanNode shortcut, bool functionalAdd)
    {
        Name = name; Branch = branch; Shortcut = shortcut; FunctionalAdd = functionalAdd;
    }
    public string Name { get; }
    public PlanNode Branch { get; }
    public PlanNode Shortcut { get; }
    public bool FunctionalAdd { get; }
    /// <summary>Rule for a hooked sum (null: plain addition, relevance copied to both paths).</summary>
    public LrpRule? Rule { get; set; }
    public Tensor? BranchOutput { get; set; }
    public Tensor? ShortcutOutput { get; set; }
    public override IEnumerable<LeafPlan> Leaves() => Branch.Leaves().Concat(Shortcut.Leaves());
}

/// <summary>One layer.</summary>
internal abstract class LeafPlan : PlanNode
{
    protected LeafPlan(string name, LayerKind kind, bool functional) { Name = name; Kind = kind; Functional = functional; }
    public string Name { get; }
    public LayerKind Kind { get; }
    /// <summary>True for operations that are functional calls in the reference (never hooked).</summary>
    public bool Functional { get; }
    /// <summary>The LRP rule (null: no hook, relevance flows as the plain gradient).</summary>
    public LrpRule? Rule { get; set; }
    /// <summary>Recorded input of the last forward.</summary>
    public Tensor? Input { get; set; }
    public override IEnumerable<LeafPlan> Leaves() { yield return this; }
}

/// <summary>A convolution, linear layer or batch norm.</summary>
internal sealed class AffinePlan : LeafPlan
{
    public AffinePlan(AffineLayer layer, bool functional, BatchNormState? batchNorm = null)
        : base(layer.Name, layer.Kind, functional) { Layer = layer; BatchNorm = batchNorm; }
    public AffineLayer Layer { get; set; }
    /// <summary>Running statistics for batch norms (canonizers may rewrite them).</summary>
    public BatchNormState? BatchNorm { get; }
    /// <summary>Recorded forward with the weight (and bias) as grad-requiring leaves, or null.</summary>
    public LayerRecord? Record { get; set; }
}

/// <summary>A parameterless layer (activation, pool, reshape, dropout, identity, zero-pad shortcut).</summary>
internal sealed class FunctionPlan : LeafPlan
{
    public FunctionPlan(string name, LayerKind kind, bool functional, Func<Tensor, Tensor> forward)
        : base(name, kind, functional) => Forward = forward;
    public Func<Tensor, Tensor> Forward { get; }
}

/// <summary>Eval-mode statistics of a batch norm: <c>f(x) = (x − Mean)/√(Var + Eps)·γ + β</c>.</summary>
internal sealed class BatchNormState
{
    public BatchNormState(Tensor mean, Tensor variance, double eps) { Mean = mean; Variance = variance; Eps = eps; }
    public Tensor Mean { get; set; }
    public Tensor Variance { get; set; }
    public double Eps { get; }
    /// <summary><c>1/√(Var + Eps)</c> (a new tensor).</summary>
    public Tensor InvStd() => Variance.add(Eps).rsqrt();
}

/// <summary>
/// What the forward pass recorded for one affine layer: its input, and its output computed from the unmodified
/// input with the effective weight and bias as gradient-requiring leaves (so a weight rule can take the weight
/// gradient without recomputing the forward).
/// </summary>
public sealed class LayerRecord
{
    internal LayerRecord(Tensor input, Tensor output, Tensor weightLeaf, Tensor? biasLeaf, Tensor? inputLeaf = null)
    {
        Input = input; Output = output; WeightLeaf = weightLeaf; BiasLeaf = biasLeaf; InputLeaf = inputLeaf;
    }
    /// <summary>The layer's input.</summary>
    public Tensor Input { get; }
    /// <summary>The layer's output <c>f(x; W, b)</c>, carrying a graph to <see cref="WeightLeaf"/> and <see cref="BiasLeaf"/>.</summary>
    public Tensor Output { get; }
    /// <summary>The effective weight as a gradient-requiring leaf.</summary>
    public Tensor WeightLeaf { get; }
    /// <summary>The effective bias as a gradient-requiring leaf, or null.</summary>
    public Tensor? BiasLeaf { get; }
    /// <summary>The input as a gradient-requiring leaf of <see cref="Output"/>'s graph, when recorded.</summary>
    internal Tensor? InputLeaf { get; }
    /// <summary>Set once a weight rule has consumed the graph (it is not retained).</summary>
    internal bool GraphUsed { get; set; }

    /// <summary>Frees the recorded output and its graph (the input belongs to the walk that recorded it).</summary>
    internal void Dispose()
    {
        Output.Dispose();
        WeightLeaf.Dispose();
        BiasLeaf?.Dispose();
        InputLeaf?.Dispose();
    }
}
