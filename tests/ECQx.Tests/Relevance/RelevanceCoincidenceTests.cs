using ECQx.Relevance;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>
/// Where relevance methods coincide, and where they part ways (the claims notebook 03 builds on): on a ReLU network
/// without biases, DeepLIFT-Rescale with the zero reference, gradient × weight and LRP-ε (ε → 0) give the same
/// weight relevance; biases and batch norms make them differ.
/// </summary>
public sealed class RelevanceCoincidenceTests
{
    private static Dictionary<string, Tensor> Weights(string method, nn.Module<Tensor, Tensor> net, Tensor x, Tensor y)
    {
        using var r = RelevanceMethods.Create(method).Attribute(net, x, y);
        return net.named_parameters().Where(p => p.parameter.ndim >= 2).ToDictionary(p => p.name, p => r[p.name].detach().clone());
    }

    [Fact]
    public void OnABiasFreeReluNetDeepLiftZeroGradientTimesWeightAndLrpEpsilonAgree()
    {
        var net = TinyNets.BiasFreeMlp(3);
        var x = TinyNets.Randn(4, 16, 6);
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0 });
        var deeplift = Weights("deeplift:zeros", net, x, y);
        var grad = Weights("gradxweight", net, x, y);
        var lrp = Weights("lrp:epsilon", net, x, y);
        foreach (var name in deeplift.Keys)
        {
            double scale = grad[name].abs().max().item<double>();
            Assert.True(scale > 0);
            Assert.True(TensorAssert.MaxAbsDiff(deeplift[name], grad[name]) < 1e-12 * scale, $"{name}: DeepLIFT(zeros) ≠ gradient × weight");
            Assert.True(TensorAssert.MaxAbsDiff(lrp[name], grad[name]) < 1e-4 * scale, $"{name}: LRP-ε ≠ gradient × weight (diff {TensorAssert.MaxAbsDiff(lrp[name], grad[name]):G3})");
            Assert.Equal(1.0, RankCorrelation.Spearman(deeplift[name].abs(), grad[name].abs()), 9);
        }
    }

    [Fact]
    public void BiasesAndBatchNormMakeThemDiffer()
    {
        var net = TinyNets.BiasedBnMlp(5);
        var x = TinyNets.Randn(6, 16, 6);
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0 });
        var deeplift = Weights("deeplift:zeros", net, x, y);
        var grad = Weights("gradxweight", net, x, y);
        // the first layer sees Δa = x either way, but every later layer's reference activations are non-zero
        double diff = TensorAssert.MaxAbsDiff(deeplift["fc2.weight"], grad["fc2.weight"]) / grad["fc2.weight"].abs().max().item<double>();
        Assert.True(diff > 1e-3, $"DeepLIFT(zeros) and gradient × weight coincide on a biased network (relative diff {diff:G3})");
    }
}
