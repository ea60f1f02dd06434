using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// Base class of the zoo's models: subclasses create their layers as fields (so the field names become the
/// PyTorch state-dict names), call <see cref="Complete"/> with their forward structure, and inherit a
/// <c>forward</c> that runs that structure.
/// </summary>
public abstract class GraphModule : nn.Module<Tensor, Tensor>, ILayerGraphModule
{
    private LayerNode? _graph;

    /// <summary>Creates the module with a TorchSharp name.</summary>
    protected GraphModule(string name) : base(name) { }

    /// <inheritdoc/>
    public LayerNode Graph => _graph ?? throw new InvalidOperationException($"{GetType().Name} did not call Complete(graph) in its constructor.");

    /// <summary>
    /// Registers the module fields as submodules (their field names become state-dict prefixes) and fixes the
    /// forward structure. Subclasses that register modules through <see cref="Add{T}"/> instead pass
    /// <paramref name="registerFields"/> = false.
    /// </summary>
    protected void Complete(LayerNode graph, bool registerFields = true)
    {
        if (registerFields) RegisterComponents();
        _graph = graph;
    }

    /// <summary>Registers <paramref name="module"/> under <paramref name="name"/> and returns it.</summary>
    protected T Add<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => LayerGraph.Run(Graph, input);
}
