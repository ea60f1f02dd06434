using ECQx.Quantization;
using ECQx.Data;
using Xunit;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests.Training;

/// <summary>Small in-memory models, data and a plain uniform-grid quantizer for trainer mechanics tests.</summary>
internal static class TrainingFixtures
{
    /// <summary>A 2-layer MLP with a BatchNorm (so BN running statistics exist), seeded.</summary>
    public static nn.Module<Tensor, Tensor> Mlp(long seed, int features = 16, int hidden = 32, int classes = 4)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(seed);
        return nn.Sequential(
            ("fc1", nn.Linear(features, hidden)),
            ("bn1", nn.BatchNorm1d(hidden)),
            ("relu", nn.ReLU()),
            ("fc2", nn.Linear(hidden, classes)));
    }

    /// <summary>Blobs drawn with <paramref name="seed"/>, in batches of <paramref name="batchSize"/> shuffled with <paramref name="shuffleSeed"/> (the trainer's seed).</summary>
    public static DatasetSplits Blobs(long seed = 1, int train = 512, int test = 256, int batchSize = 32, long shuffleSeed = 7) =>
        SyntheticBlobs.Create(seed, train, test, features: 16, classes: 4, separation: 1.5,
            batch: new BatchOptions { BatchSize = batchSize, Seed = unchecked((ulong)shuffleSeed) });

    /// <summary>Every tensor of the model's state dict, cloned to CPU.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module<Tensor, Tensor> model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone());

    public static void AssertBitIdentical(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b)
    {
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (k, t) in a)
            Assert.True(t.Same(b[k]), $"tensor '{k}' differs");
    }
}

/// <summary>
/// Nearest-level quantizer on the levels −7..7 of a 4-bit grid (lowest level −8 unused) with Δ = max|W|/7 (no entropy term), and the
/// §a.5 signed-centroid gradient scaling. A stand-in for the trainer mechanics tests.
/// </summary>
internal sealed class UniformGridQuantizer : IWeightQuantizer
{
    public bool IsQuantized(string name, Tensor parameter) => parameter.ndim >= 2;

    public Codebook CreateCodebook(string name, Tensor pretrained) =>
        new(4, pretrained.abs().max().item<float>() / 7.0, -8, pretrained.device, name);

    public LayerQuantization Quantize(string name, Tensor background, Codebook codebook, long largestLayerSize, Tensor? relevance)
    {
        var idx = (background / codebook.Step).round().clamp(-7, 7).to(torch.int64) - codebook.MinLevel;
        var values = codebook.Centroids.index_select(0, idx.reshape(-1)).reshape(background.shape);
        double s = values.eq(0).to(torch.float64).mean().item<double>();
        var histogram = torch.bincount(idx.reshape(-1), minlength: codebook.Count).cpu().data<long>().ToArray();
        return new LayerQuantization(values, s, s, histogram);
    }

    public Tensor ScaleGradient(string name, Tensor gradient, Tensor quantized) =>
        gradient * torch.where(quantized.ne(0), quantized, torch.ones_like(quantized));
}

internal static class TensorAssertExtensions
{
    /// <summary>Same shape and dtype and every element equal.</summary>
    public static bool Same(this Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b.to(a.device)).all().item<bool>();
}
