using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>Validation shared by the relevance methods.</summary>
internal static class EngineInputs
{
    /// <summary>Checks inputs and targets and moves the inputs to the model's device and dtype.</summary>
    public static Tensor PrepareInputs(nn.Module model, Tensor inputs, Tensor targets, string method)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.dim() < 2 || inputs.shape[0] < 1)
            throw new ArgumentException($"{method}: inputs must be a non-empty batch [N, …], got [{string.Join(", ", inputs.shape)}]");
        if (!inputs.is_floating_point())
            throw new ArgumentException($"{method}: inputs must be floating point, got {inputs.dtype}");
        if (targets.dim() != 1 || targets.shape[0] != inputs.shape[0])
            throw new ArgumentException($"{method}: targets must hold one class index per sample ({inputs.shape[0]}), got shape [{string.Join(", ", targets.shape)}]");
        if (targets.is_floating_point() || targets.dtype == ScalarType.Bool)
            throw new ArgumentException($"{method}: targets must be integer class indices, got {targets.dtype}");
        using (var finite = inputs.isfinite().all())
            if (!finite.item<bool>()) throw new ArgumentException($"{method}: inputs contain NaN or infinite values");
        var device = PlanCompiler.DeviceOf(model);
        var dtype = model.parameters().FirstOrDefault()?.dtype ?? inputs.dtype;
        return inputs.detach().to(device).to_type(dtype);
    }

    /// <summary>Checks the model output is [N, classes] and finite.</summary>
    public static void CheckLogits(Tensor logits, long batch, string method)
    {
        if (logits.dim() != 2 || logits.shape[0] != batch)
            throw new InvalidOperationException($"{method}: the model output must be logits [N, classes] with N = {batch}, got [{string.Join(", ", logits.shape)}]");
        using var finite = logits.isfinite().all();
        if (!finite.item<bool>())
            throw new InvalidOperationException($"{method}: the model produced NaN or infinite logits (non-finite weights or batch-norm statistics?)");
    }
}
