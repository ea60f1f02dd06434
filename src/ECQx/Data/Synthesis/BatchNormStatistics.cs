using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Data.Synthesis;

/// <summary>
/// Runs a layer-graph model (<see cref="ILayerGraphModule"/>, as every model of <see cref="ModelZoo"/> is) forward and, at
/// every <see cref="BatchNorm2d"/>, measures how far the batch statistics of the layer's <em>input</em> are from the layer's
/// running statistics: <c>‖μ_batch − running_mean‖₂ + ‖σ²_batch − running_var‖₂</c> with μ and the biased σ² taken over
/// the batch and the spatial positions of each channel (the DeepInversion / ZeroQ feature-statistics term). The model must
/// be in eval mode, so the forward pass itself uses the running statistics, exactly as at inference.
/// </summary>
public static class BatchNormStatistics
{
    /// <summary>
    /// The model's output for <paramref name="input"/> and the per-layer statistics distances, in forward order (one
    /// scalar tensor per batch norm, differentiable with respect to the input). Tensors belong to the caller's dispose scope.
    /// </summary>
    public static (Tensor Output, IReadOnlyList<Tensor> LayerDistances) Forward(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (model.training) throw new InvalidOperationException("BatchNormStatistics.Forward needs the model in eval mode (call model.eval()): in training mode batch norm would use the batch's own statistics.");
        var distances = new List<Tensor>();
        var output = RunModule(model, input, distances);
        if (distances.Count == 0)
            throw new ArgumentException($"{model.GetType().Name} has no BatchNorm2d layer reachable through its layer graph: there are no statistics to match.", nameof(model));
        return (output, distances);
    }

    /// <summary>The distance of one batch norm's input <paramref name="x"/> [B, C, H, W] from its running statistics.</summary>
    public static Tensor Distance(BatchNorm2d batchNorm, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(batchNorm);
        ArgumentNullException.ThrowIfNull(x);
        var runningMean = batchNorm.running_mean ?? throw new ArgumentException("the batch norm tracks no running mean", nameof(batchNorm));
        var runningVar = batchNorm.running_var ?? throw new ArgumentException("the batch norm tracks no running variance", nameof(batchNorm));
        var dims = new long[] { 0, 2, 3 };
        var mean = x.mean(dims);
        var variance = x.var(dims, unbiased: false);
        return mean.sub(runningMean).norm().add(variance.sub(runningVar).norm());
    }

    private static Tensor RunModule(nn.Module<Tensor, Tensor> module, Tensor x, List<Tensor> distances) => module switch
    {
        ILayerGraphModule graph => Run(graph.Graph, x, distances),
        Sequential sequential => Run(new LayerChain(sequential.children().Select(c => (LayerNode)new ModuleStep((nn.Module<Tensor, Tensor>)c)).ToList()), x, distances),
        BatchNorm2d batchNorm => Record(batchNorm, x, distances),
        _ => module.forward(x),
    };

    private static Tensor Record(BatchNorm2d batchNorm, Tensor x, List<Tensor> distances)
    {
        distances.Add(Distance(batchNorm, x));
        return batchNorm.forward(x);
    }

    private static Tensor Run(LayerNode node, Tensor x, List<Tensor> distances)
    {
        switch (node)
        {
            case ModuleStep step:
                return RunModule(step.Module, x, distances);
            case LayerChain chain:
            {
                var current = x;
                foreach (var next in chain.Steps) current = Run(next, current, distances);
                return current;
            }
            case ResidualSum residual:
                return Run(residual.Branch, x, distances).add(Run(residual.Shortcut, x, distances));
            default:
                throw new NotSupportedException($"Unknown layer node type {node.GetType().Name}.");
        }
    }
}
