using ECQx.IO;
using ECQx.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Models;

public class ResNet20Tests
{
    [Fact]
    public void StateDictNamesAndShapesMatchThePyTorchFile()
    {
        TorchRuntime.EnsureLoaded();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var model = new ResNet20();
        var targets = StateDictLoader.Targets(model);
        Assert.Equal(97, doc.Tensors.Count);
        foreach (var (key, t) in doc.Tensors)
        {
            Assert.True(targets.ContainsKey(key), $"model lacks '{key}'");
            Assert.Equal(t.shape, targets[key].shape);
        }
        var extra = targets.Keys.Except(doc.Tensors.Keys).ToList();
        Assert.Equal(19, extra.Count); // one num_batches_tracked per BN
        Assert.All(extra, k => Assert.EndsWith(".num_batches_tracked", k));
        long parameters = model.parameters().Sum(p => p.numel());
        Assert.Equal(269_722, parameters); // 268,336 conv/linear weights + 1,376 BN affine + 10 biases
    }

    [Fact]
    public void PretrainedForwardMatchesAnIndependentFunctionalComputation()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var model = new ResNet20();
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        model.eval();
        var gen = new Generator(7, CPU);
        var x = randn(new long[] { 4, 3, 32, 32 }, generator: gen);
        using var _ = no_grad();
        var logits = model.forward(x);
        var reference = FunctionalResNet20(doc.Tensors, x);
        Assert.Equal(new long[] { 4, 10 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        Assert.True(allclose(logits, reference, rtol: 1e-4, atol: 1e-4),
            $"max |diff| = {(logits - reference).abs().max().item<float>()}");
        // Loaded BN statistics are really used: a model with default (0/1) statistics gives other logits.
        using var fresh = new ResNet20();
        fresh.eval();
        var freshLogits = fresh.forward(x);
        Assert.False(allclose(freshLogits, logits, rtol: 1e-2, atol: 1e-2));
    }

    [Fact]
    public void BatchNormBuffersAreLoaded()
    {
        TorchRuntime.EnsureLoaded();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        using var model = new ResNet20();
        StateDictLoader.LoadSafeTensors(model, TestPaths.PretrainedResNet20);
        var targets = StateDictLoader.Targets(model);
        foreach (var key in new[] { "bn1.running_mean", "layer2.1.bn2.running_var", "layer3.2.bn1.weight", "linear.bias", "layer1.0.conv1.weight" })
            Assert.True(TensorAssert.Same(doc.Tensors[key], targets[key]), key);
    }

    [Fact]
    public void ShortcutsAreOptionAExactlyWhereTheResolutionChanges()
    {
        using var model = new ResNet20();
        var blocks = model.named_modules().Where(m => m.module is CifarBasicBlock).ToDictionary(m => m.name, m => (CifarBasicBlock)m.module);
        Assert.Equal(9, blocks.Count);
        Assert.Equal(new[] { "layer2.0", "layer3.0" }, blocks.Where(b => b.Value.HasPaddingShortcut).Select(b => b.Key).OrderBy(k => k));
    }

    /// <summary>
    /// ResNet-20 written directly from the file's tensors with functional ops (no model classes): the
    /// independent computation the model is checked against.
    /// </summary>
    internal static Tensor FunctionalResNet20(IReadOnlyDictionary<string, Tensor> w, Tensor x)
    {
        Tensor Bn(Tensor t, string p) =>
            (t - w[p + ".running_mean"].view(1, -1, 1, 1)) / (w[p + ".running_var"].view(1, -1, 1, 1) + 1e-5).sqrt()
            * w[p + ".weight"].view(1, -1, 1, 1) + w[p + ".bias"].view(1, -1, 1, 1);
        Tensor Conv(Tensor t, string p, long stride) =>
            nn.functional.conv2d(t, w[p + ".weight"], null, new[] { stride, stride }, new long[] { 1, 1 });

        var h = Bn(Conv(x, "conv1", 1), "bn1").relu();
        for (int stage = 1; stage <= 3; stage++)
            for (int b = 0; b < 3; b++)
            {
                string p = $"layer{stage}.{b}";
                long stride = stage > 1 && b == 0 ? 2 : 1;
                var o = Bn(Conv(h, p + ".conv1", stride), p + ".bn1").relu();
                o = Bn(Conv(o, p + ".conv2", 1), p + ".bn2");
                Tensor sc = h;
                if (stride == 2)
                {
                    long planes = o.shape[1];
                    var sub = h[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
                    var zeros = torch.zeros(sub.shape[0], planes / 4, sub.shape[2], sub.shape[3]);
                    sc = cat(new[] { zeros, sub, zeros }, 1);
                }
                h = (o + sc).relu();
            }
        var pooled = h.mean(new long[] { 2, 3 });
        return pooled.matmul(w["linear.weight"].t()) + w["linear.bias"];
    }
}
