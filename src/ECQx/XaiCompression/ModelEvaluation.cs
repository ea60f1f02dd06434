using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>Test accuracy and size helpers shared by the compression tools.</summary>
public static class ModelEvaluation
{
    /// <summary>Top-1 test accuracy in % (eval mode; the previous mode is restored). NaN without test data.</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, ITrainingData data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var device = CompressibleLayers.DeviceOf(model);
        bool wasTraining = model.training;
        model.eval();
        long correct = 0, seen = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var b in data.TestBatches(batchSize, device))
            {
                using var scope = NewDisposeScope();
                correct += model.call(b.Inputs).argmax(1).eq(b.Targets).sum().item<long>();
                seen += b.Targets.shape[0];
                b.Inputs.Dispose(); b.Targets.Dispose();
            }
        }
        finally { model.train(wasTraining); }
        return seen == 0 ? double.NaN : 100.0 * correct / seen;
    }

    /// <summary>Total number of parameter elements.</summary>
    public static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    /// <summary>Number of non-zero elements over all parameters.</summary>
    public static long NonZeroParameterCount(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return model.parameters().Sum(p => p.detach().count_nonzero().item<long>());
    }
}
