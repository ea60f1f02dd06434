using ECQx.Relevance;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>
/// §b.1, §b.8: the weight relevance of a training batch, computed on an eval-mode view of the model being trained (eval
/// mode leaves BN running statistics alone); the model's mode and every parameter's gradient are restored afterwards.
/// </summary>
internal static class EvalModeRelevance
{
    /// <summary>
    /// Relevance of the quantized tensors for <paramref name="batch"/>: the method's result, checked to hold every
    /// quantized tensor in its shape; the caller disposes it. The gradients are set aside (not copied) during the pass
    /// and put back after it, so whatever the method does to <c>.grad</c> is undone.
    /// </summary>
    /// <exception cref="InvalidOperationException">The method returned no relevance, or one of another shape, for a quantized tensor.</exception>
    public static WeightRelevance Compute(nn.Module<Tensor, Tensor> model, IReadOnlyList<(string Name, Parameter Param)> parameters,
        IWeightRelevanceMethod method, TrainingBatch batch, QuantizedParameters quantized)
    {
        bool wasTraining = model.training;
        var savedGrads = SetGradientsAside(parameters);
        model.eval();
        WeightRelevance? attributed = null;
        try
        {
            attributed = method.Attribute(model, batch.Inputs, batch.Targets);
            foreach (var name in quantized.Names)
            {
                var shape = quantized.Parameter(name).shape;
                if (!attributed.Parameters.TryGetValue(name, out var r))
                    throw new InvalidOperationException($"relevance method '{method.Name}' returned no relevance for '{name}'");
                if (!r.shape.SequenceEqual(shape))
                    throw new InvalidOperationException($"relevance method '{method.Name}' returned shape [{string.Join(", ", r.shape)}] for '{name}' of shape [{string.Join(", ", shape)}]");
            }
            var result = attributed;
            attributed = null;
            return result;
        }
        finally
        {
            attributed?.Dispose();
            model.train(wasTraining);
            PutGradientsBack(parameters, savedGrads);
        }
    }

    /// <summary>Detaches every parameter's gradient (the tensors themselves, no copy) and returns them.</summary>
    private static List<Tensor?> SetGradientsAside(IReadOnlyList<(string Name, Parameter Param)> parameters)
    {
        var saved = new List<Tensor?>(parameters.Count);
        foreach (var (_, p) in parameters)
        {
            var g = p.grad;
            g?.DetachFromDisposeScope();
            saved.Add(g);
            if (g is not null) p.grad = null;
        }
        return saved;
    }

    /// <summary>Puts the set-aside gradients back (a gradient the pass created is dropped) and releases their handles.</summary>
    private static void PutGradientsBack(IReadOnlyList<(string Name, Parameter Param)> parameters, List<Tensor?> saved)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Param;
            p.grad = saved[i];
            saved[i]?.Dispose(); // our handle only: the parameter holds the gradient again
        }
    }
}
