using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Experiments;

/// <summary>Test-set evaluation of a model (eval mode, no gradients).</summary>
public static class ModelEvaluation
{
    /// <summary>Top-1 accuracy in % over the test batches of <paramref name="data"/>; the model's mode is restored.</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, ITrainingData data, int batchSize, Device device)
    {
        bool wasTraining = model.training;
        model.eval();
        long correct = 0, seen = 0;
        try
        {
            using var noGrad = no_grad();
            using var batches = data.TestBatches(batchSize, device).GetEnumerator();
            while (true)
            {
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var b = batches.Current;
                correct += model.call(b.Inputs).argmax(1).eq(b.Targets).sum().item<long>();
                seen += b.Targets.shape[0];
            }
        }
        finally { model.train(wasTraining); }
        if (seen == 0) throw new InvalidOperationException("the test set is empty; accuracy is undefined");
        return 100.0 * correct / seen;
    }

    /// <summary>4 bytes × every element of every non-scalar floating-point state tensor (the FP32 model size, spec §d.4).</summary>
    public static long Fp32Bytes(nn.Module model) =>
        model.state_dict().Where(kv => kv.Value.ndim > 0 && kv.Value.is_floating_point()).Sum(kv => 4L * kv.Value.numel());
}
