using ECQx.Models;
using ECQx.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>What a model costs: its parameters and the arithmetic of one forward pass of one example.</summary>
/// <param name="Parameters">All parameters (a masked weight still counts; see <paramref name="NonZeroParameters"/>).</param>
/// <param name="NonZeroParameters">Parameters that are not exactly zero.</param>
/// <param name="MultiplyAccumulates">
/// Multiply–accumulates of the convolution and linear layers for one example, counting only non-zero weights:
/// <c>Σ_l nnz(W_l)·P_l</c>, where <c>P_l</c> is the number of output positions at which layer l applies its kernel
/// (1 for a linear layer on a vector). Other layers (norms, pools, activations) are not counted.
/// </param>
public sealed record ModelCost(long Parameters, long NonZeroParameters, long MultiplyAccumulates)
{
    /// <summary>FLOPs of the convolution and linear layers, 2 × <see cref="MultiplyAccumulates"/> (one multiply and one add each).</summary>
    public long Flops => 2 * MultiplyAccumulates;
}

/// <summary>
/// Measures <see cref="ModelCost"/>: the parameter counts directly, the multiply–accumulates by running one example
/// (zeros of the data's input shape) through the model's layer structure and recording, per convolution and linear
/// layer, at how many output positions it applies its kernel. Pruning filters changes channel counts, never those
/// positions, so the cost of a pruned model follows from its non-zero weights.
/// </summary>
public static class ModelCosts
{
    /// <summary>The cost of <paramref name="model"/> for one example of shape <paramref name="inputShape"/> (without the batch dimension).</summary>
    public static ModelCost Measure(nn.Module<Tensor, Tensor> model, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var positions = OutputPositions(model, inputShape);
        using var scope = NewDisposeScope();
        long macs = 0;
        foreach (var l in CompressibleLayers.Of(model))
        {
            if (!positions.TryGetValue(l.Module, out long p))
                throw new InvalidOperationException($"layer '{l.ModuleName}' was not reached by the forward pass of model {model.GetName()}; its cost is unknown");
            macs += l.Weight.detach().count_nonzero().item<long>() * p;
        }
        return new ModelCost(ModelEvaluation.ParameterCount(model), ModelEvaluation.NonZeroParameterCount(model), macs);
    }

    /// <summary>Per convolution/linear module: the output positions per output channel for one example.</summary>
    internal static Dictionary<nn.Module, long> OutputPositions(nn.Module<Tensor, Tensor> model, long[] inputShape)
    {
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1)) throw new ArgumentException($"input shape [{string.Join(", ", inputShape)}] must have positive dimensions");
        var result = new Dictionary<nn.Module, long>(ReferenceEqualityComparer.Instance);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = CompressibleLayers.DeviceOf(model);
            var x = zeros(new[] { 1L }.Concat(inputShape).ToArray(), device: device);
            Walk(ChannelGroups.RootNode(model), x, result);
        }
        finally { model.train(wasTraining); }
        return result;
    }

    private static Tensor Walk(LayerNode node, Tensor x, Dictionary<nn.Module, long> positions)
    {
        switch (node)
        {
            case LayerChain chain:
                foreach (var s in chain.Steps) x = Walk(s, x, positions);
                return x;
            case ResidualSum residual:
                return Walk(residual.Branch, x, positions).add(Walk(residual.Shortcut, x, positions));
            case ModuleStep { Module: ILayerGraphModule g }:
                return Walk(g.Graph, x, positions);
            case ModuleStep { Module: Sequential seq }:
                foreach (var c in seq.children()) x = Walk(new ModuleStep((nn.Module<Tensor, Tensor>)c), x, positions);
                return x;
            case ModuleStep step:
            {
                var y = step.Module.forward(x);
                long outUnits = step.Module switch
                {
                    Conv2d c => c.weight!.shape[0],
                    Conv1d c => c.weight!.shape[0],
                    Linear l => l.weight!.shape[0],
                    _ => 0,
                };
                if (outUnits > 0) positions[step.Module] = y.numel() / outUnits;
                return y;
            }
            default:
                throw new NotSupportedException($"cannot measure the cost of layer node {node.GetType().Name}");
        }
    }
}
