using ECQx.Data;
using ECQx.Models;
using ECQx.Training;
using ECQx.XaiCompression;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests.XaiCompression;

/// <summary>Small models and data for the compression tests.</summary>
internal static class XaiCompressionFixtures
{
    /// <summary>A 3-layer MLP on 16 features (fc1 → ReLU → fc2 → ReLU → fc3), seeded.</summary>
    public static nn.Module<Tensor, Tensor> Mlp(long seed, int hidden = 32)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(seed);
        return nn.Sequential(("fc1", nn.Linear(16, hidden)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(hidden, hidden)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(hidden, 4)));
    }

    /// <summary>
    /// A small VGG-like CNN on 1×8×8 inputs with batch norms, max pool, flatten and two linear layers, as a layer-graph
    /// model (the sequential stack rebuilt with the same names), so its 6- and 8-channel convolutions run through
    /// <see cref="SafeConvolution"/> like the zoo's models.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Cnn(long seed)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(seed);
        var stack = nn.Sequential(
            ("conv1", nn.Conv2d(1, 6, 3, padding: 1)), ("bn1", nn.BatchNorm2d(6)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(6, 8, 3, padding: 1)), ("bn2", nn.BatchNorm2d(8)), ("relu2", nn.ReLU()), ("pool", nn.MaxPool2d(2, 2)),
            ("flat", nn.Flatten()), ("fc1", nn.Linear(8 * 4 * 4, 12)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(12, 4)));
        return ModelRebuilder.Rebuild(stack, (_, m) => ModelRebuilder.Slice(m, null, null));
    }

    /// <summary>Gives the batch norms non-trivial running statistics and affine parameters.</summary>
    public static void RandomizeNorms(nn.Module model, long seed)
    {
        using var gen = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (_, m) in model.named_modules())
            if (m is TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm1d)
            {
                var bn = (TorchSharp.Modules.NormBase)m;
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: gen) * 0.3);
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: gen) + 0.5);
                bn.weight!.detach().copy_(rand(bn.weight.shape, generator: gen) + 0.5);
                bn.bias!.detach().copy_(randn(bn.bias.shape, generator: gen) * 0.2);
            }
    }

    /// <summary>Blobs in batches of 64, shuffled with the trainer's default seed (as <see cref="FineTune"/> and <see cref="Train"/> run).</summary>
    public static DatasetSplits Blobs(long seed = 3, int train = 768, int test = 384, long[]? shape = null, int features = 16) =>
        SyntheticBlobs.Create(seed, train, test, features: features, classes: 4, separation: 1.2, sampleShape: shape,
            batch: new BatchOptions { BatchSize = 64, Seed = unchecked((ulong)new TrainerOptions().Seed) });

    /// <summary>Trains <paramref name="model"/> in full precision.</summary>
    public static void Train(nn.Module<Tensor, Tensor> model, DatasetSplits data, int epochs = 3)
    {
        using var t = new QuantizationAwareTrainer(model, data, new TrainerOptions { Epochs = epochs, BatchSize = 64, LearningRate = 3e-3, Patience = 0, Threads = null });
        t.Run();
    }

    /// <summary>Trainer options for short fine-tuning.</summary>
    public static TrainerOptions FineTune(int epochs = 2) => new() { Epochs = epochs, BatchSize = 64, LearningRate = 3e-3, Patience = 0 };
}
