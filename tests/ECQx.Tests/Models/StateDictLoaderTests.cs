using ECQx.IO;
using ECQx.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Models;

public class StateDictLoaderTests
{
    private static Dictionary<string, Tensor> Pretrained()
    {
        TorchRuntime.EnsureLoaded();
        using var doc = SafeTensors.Load(TestPaths.PretrainedResNet20);
        return doc.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        var sd = Pretrained();
        sd.Remove("layer2.1.conv2.weight");
        using var model = new ResNet20();
        var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, sd, "w.safetensors"));
        Assert.Contains("missing", e.Message);
        Assert.Contains("'layer2.1.conv2.weight'", e.Message);
        Assert.Contains("w.safetensors", e.Message);
    }

    [Fact]
    public void UnexpectedKeyIsNamed()
    {
        var sd = Pretrained();
        sd["fc.weight"] = zeros(3, 3);
        using var model = new ResNet20();
        var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, sd));
        Assert.Contains("unexpected", e.Message);
        Assert.Contains("'fc.weight'", e.Message);
        // non-strict loading tolerates it
        StateDictLoader.Load(model, sd, strict: false);
    }

    [Fact]
    public void ShapeMismatchNamesKeyAndBothShapesAndLeavesModelUnchanged()
    {
        var sd = Pretrained();
        sd["linear.weight"] = zeros(100, 64);
        using var model = new ResNet20();
        using var before = model.named_parameters().First(p => p.name == "conv1.weight").parameter.clone();
        var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, sd));
        Assert.Contains("'linear.weight'", e.Message);
        Assert.Contains("[100, 64]", e.Message);
        Assert.Contains("[10, 64]", e.Message);
        var after = model.named_parameters().First(p => p.name == "conv1.weight").parameter;
        Assert.True(TensorAssert.Same(before, after), "a failed load must not modify the model");
    }

    [Fact]
    public void NonFiniteValuesAreRejected()
    {
        var sd = Pretrained();
        sd["bn1.weight"][3] = float.NaN;
        using var model = new ResNet20();
        var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, sd));
        Assert.Contains("'bn1.weight'", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void DataParallelPrefixIsStripped()
    {
        var sd = Pretrained().ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        using var model = new ResNet20();
        StateDictLoader.Load(model, sd);
        var w = StateDictLoader.Targets(model)["layer3.2.conv2.weight"];
        Assert.True(TensorAssert.Same(w, sd["module.layer3.2.conv2.weight"]));
    }

    [Fact]
    public void RoundTripThroughSafeTensorsRestoresEveryTensor()
    {
        TorchRuntime.EnsureLoaded();
        using var a = ModelZoo.Create("mlp_gsc", seed: 1);
        using var b = ModelZoo.Create("mlp_gsc", seed: 2);
        string path = Path.Combine(TestPaths.NewTempDir(), "m.safetensors");
        SafeTensors.Save(path, StateDictLoader.Targets(a));
        StateDictLoader.LoadSafeTensors(b, path);
        var ta = StateDictLoader.Targets(a);
        foreach (var (k, v) in StateDictLoader.Targets(b)) Assert.True(TensorAssert.Same(ta[k], v), k);
    }
}
