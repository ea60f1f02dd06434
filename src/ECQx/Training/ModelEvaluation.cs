using ECQx.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Training;

/// <summary>Test-set evaluation and size counts of a model: the one accuracy function of the library.</summary>
public static class ModelEvaluation
{
    /// <summary>
    /// Top-1 accuracy in % over the batches of <paramref name="test"/> (eval mode, no gradients; the model's previous
    /// mode is restored). Batches are moved to <paramref name="device"/>, by default the device of the model's first
    /// parameter. NaN for an empty test set.
    /// </summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, IBatchSource test, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        device ??= model.parameters().FirstOrDefault()?.device;
        bool wasTraining = model.training;
        model.eval();
        long correct = 0, seen = 0;
        try
        {
            using var noGrad = no_grad();
            using var batches = test.Batches(0).GetEnumerator();
            while (true)
            {
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (x, y) = batches.Current;
                if (device is not null && x.device != device) { x = x.to(device); y = y.to(device); }
                correct += model.call(x).argmax(1).eq(y).sum().item<long>();
                seen += y.shape[0];
            }
        }
        finally { model.train(wasTraining); }
        return seen == 0 ? double.NaN : 100.0 * correct / seen;
    }

    /// <summary>4 bytes × every element of every non-scalar floating-point state tensor (the FP32 model size, spec §d.4).</summary>
    public static long Fp32Bytes(nn.Module model) =>
        model.state_dict().Where(kv => kv.Value.ndim > 0 && kv.Value.is_floating_point()).Sum(kv => 4L * kv.Value.numel());

    /// <summary>Total number of parameter elements.</summary>
    public static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    /// <summary>Number of non-zero elements over all parameters.</summary>
    public static long NonZeroParameterCount(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return model.parameters().Sum(p => p.detach().count_nonzero().item<long>());
    }
}
