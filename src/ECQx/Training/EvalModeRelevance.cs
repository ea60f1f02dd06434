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
    /// <summary>Relevance of the quantized tensors for <paramref name="batch"/>, as copies in the caller's dispose scope.</summary>
    /// <exception cref="InvalidOperationException">The method returned no relevance, or one of another shape, for a quantized tensor.</exception>
    public static Dictionary<string, Tensor> Compute(nn.Module<Tensor, Tensor> model, IReadOnlyList<(string Name, Parameter Param)> parameters,
        IWeightRelevanceMethod method, TrainingBatch batch, QuantizedParameters quantized)
    {
        bool wasTraining = model.training;
        var savedGrads = parameters.Select(p => p.Param.grad is Tensor g ? g.detach().clone() : null).ToList();
        var rel = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        model.eval();
        try
        {
            using var attributed = method.Attribute(model, batch.Inputs, batch.Targets);
            // copies in the batch's scope; the method's result is freed here
            foreach (var name in quantized.Names)
            {
                var shape = quantized.Parameter(name).shape;
                if (!attributed.Parameters.TryGetValue(name, out var r))
                    throw new InvalidOperationException($"relevance method '{method.Name}' returned no relevance for '{name}'");
                if (!r.shape.SequenceEqual(shape))
                    throw new InvalidOperationException($"relevance method '{method.Name}' returned shape [{string.Join(", ", r.shape)}] for '{name}' of shape [{string.Join(", ", shape)}]");
                rel[name] = r.detach().clone();
            }
        }
        finally
        {
            model.train(wasTraining);
            RestoreGradients(parameters, savedGrads);
        }
        return rel;
    }

    private static void RestoreGradients(IReadOnlyList<(string Name, Parameter Param)> parameters, List<Tensor?> saved)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Param;
            var current = p.grad;
            if (saved[i] is Tensor s)
            {
                if (current is null) p.grad = s.DetachFromDisposeScope();
                else current.copy_(s);
            }
            else if (current is not null) p.grad = null;
        }
    }
}
