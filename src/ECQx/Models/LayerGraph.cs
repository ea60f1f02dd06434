using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// The forward structure of a model, written out from the known pieces the relevance engine understands
/// (convolutions, linear layers, batch norms, activations, pools, reshapes, residual sums). A model's
/// <c>forward</c> runs exactly this structure (<see cref="LayerGraph.Run"/>), so the engine in
/// <c>ECQx.Relevance</c> and the model can never disagree about what is computed.
/// </summary>
public abstract record LayerNode;

/// <summary>
/// One module applied to the running tensor. When <paramref name="Module"/> is itself an
/// <see cref="ILayerGraphModule"/> or a <see cref="TorchSharp.Modules.Sequential"/>, it is expanded.
/// </summary>
/// <param name="Module">The module (registered in the model so its parameters get their PyTorch names).</param>
/// <param name="Functional">
/// True when the reference PyTorch model applies this operation as a <c>torch.nn.functional</c> call rather
/// than as a module (e.g. ResNet20's <c>F.relu</c> and <c>F.avg_pool2d</c>). Functional operations carry no
/// LRP hook in the reference, so relevance flows through them as a plain gradient (spec §b.5).
/// </param>
public sealed record ModuleStep(nn.Module<Tensor, Tensor> Module, bool Functional = false) : LayerNode;

/// <summary>Steps applied one after another.</summary>
/// <param name="Steps">The steps in forward order.</param>
public sealed record LayerChain(IReadOnlyList<LayerNode> Steps) : LayerNode
{
    /// <summary>Builds a chain from steps in forward order.</summary>
    public LayerChain(params LayerNode[] steps) : this((IReadOnlyList<LayerNode>)steps) { }
}

/// <summary>
/// A residual sum <c>branch(x) + shortcut(x)</c>.
/// </summary>
/// <param name="Branch">The residual branch.</param>
/// <param name="Shortcut">The shortcut path (an identity is an empty <see cref="LayerChain"/>).</param>
/// <param name="FunctionalAdd">
/// True (the ResNet20 case, <c>out += shortcut(x)</c>) when the sum is a plain tensor addition without an LRP
/// hook: relevance is then copied in full to both paths (spec §b.5). False models a hooked sum module
/// (zennit's <c>Sum</c>), which LRP composites split in proportion to each path's contribution (Norm rule).
/// </param>
public sealed record ResidualSum(LayerNode Branch, LayerNode Shortcut, bool FunctionalAdd = true) : LayerNode;

/// <summary>A module whose forward pass is exactly the composition described by <see cref="Graph"/>.</summary>
public interface ILayerGraphModule
{
    /// <summary>The forward structure, built once at construction.</summary>
    LayerNode Graph { get; }
}

/// <summary>Runs a <see cref="LayerNode"/> structure forward.</summary>
public static class LayerGraph
{
    /// <summary>Applies <paramref name="node"/> to <paramref name="x"/> with the modules' own forward methods.</summary>
    public static Tensor Run(LayerNode node, Tensor x)
    {
        switch (node)
        {
            case ModuleStep step:
                return SafeConvolution.Forward(step.Module, x);
            case LayerChain chain:
            {
                if (chain.Steps.Count == 0) return x.alias();
                Tensor current = x;
                for (int i = 0; i < chain.Steps.Count; i++)
                {
                    var next = Run(chain.Steps[i], current);
                    if (i > 0 && !ReferenceEquals(next, current)) current.Dispose();
                    current = next;
                }
                return current;
            }
            case ResidualSum residual:
            {
                using var branch = Run(residual.Branch, x);
                using var shortcut = Run(residual.Shortcut, x);
                return branch.add(shortcut);
            }
            default:
                throw new NotSupportedException($"Unknown layer node type {node.GetType().Name}.");
        }
    }
}
