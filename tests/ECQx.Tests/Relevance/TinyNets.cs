using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Tests.Relevance;

/// <summary>Small seeded float64 networks for relevance tests.</summary>
internal static class TinyNets
{
    public static Sequential BiasFreeMlp(long seed) => Finish(nn.Sequential(
        ("fc1", nn.Linear(6, 5, hasBias: false)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(5, 4, hasBias: false)), ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(4, 3, hasBias: false))), seed);

    public static Sequential BiasFreeConvNet(long seed) => Finish(nn.Sequential(
        ("conv1", nn.Conv2d(2, 4, 3, padding: 1, bias: false)), ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(4, 5, 3, stride: 2, padding: 1, bias: false)), ("relu2", nn.ReLU()),
        ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()),
        ("fc", nn.Linear(5, 3, hasBias: false))), seed);

    /// <summary>Biases and a batch norm with non-trivial running statistics.</summary>
    public static Sequential BiasedBnMlp(long seed)
    {
        var net = Finish(nn.Sequential(
            ("fc1", nn.Linear(6, 8)), ("bn1", nn.BatchNorm1d(8)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(8, 5)), ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(5, 3))), seed);
        RandomizeBatchNorm(net, seed);
        return net;
    }

    public static void RandomizeBatchNorm(nn.Module net, long seed)
    {
        var g = new Generator((ulong)seed + 1000, CPU);
        using var _ = no_grad();
        foreach (var (_, m) in net.named_modules())
            if (m is NormBase bn)
            {
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g).mul(0.3));
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: g).add(0.5));
                bn.weight!.copy_(randn(bn.weight.shape, generator: g).mul(0.5).add(1));
                bn.bias!.copy_(randn(bn.bias.shape, generator: g).mul(0.2));
            }
    }

    private static Sequential Finish(Sequential net, long seed)
    {
        using var g = new Generator((ulong)seed, CPU);
        ModelInit.Initialize(net, g, kaimingWeights: true);
        net.to(ScalarType.Float64);
        net.eval();
        return net;
    }

    public static Tensor Randn(long seed, params long[] shape)
    {
        using var g = new Generator((ulong)seed, CPU);
        return randn(shape, dtype: ScalarType.Float64, generator: g);
    }

    /// <summary>Plain autograd on the model itself: (∂/∂θ mean_n z[n, y_n]) and ∂/∂x of the same, in eval mode.</summary>
    public static (Dictionary<string, Tensor> ParamGrads, Tensor InputGrad) Autograd(nn.Module<Tensor, Tensor> model, Tensor x, Tensor targets)
    {
        model.eval();
        var xr = x.detach().clone().requires_grad_(true);
        var logits = model.forward(xr);
        var picked = logits.gather(1, targets.view(-1, 1)).sum().div(x.shape[0]);
        var names = model.named_parameters().Select(p => p.name).ToList();
        var ps = model.named_parameters().Select(p => (Tensor)p.parameter).ToList();
        var grads = autograd.grad(new[] { picked }, ps.Append(xr).ToList(), allow_unused: true);
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < names.Count; i++) d[names[i]] = grads[i] is null ? zeros_like(ps[i]) : grads[i].detach();
        return (d, grads[^1].detach());
    }
}
