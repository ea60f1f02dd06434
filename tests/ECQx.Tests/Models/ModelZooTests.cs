using ECQx.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ECQx.Tests.Models;

[Collection(GlobalStateCollection.Name)]
public class ModelZooTests
{
    [Theory]
    [InlineData("resnet20", 10)]
    [InlineData("vgg16", 10)]
    [InlineData("vgg16_2fc", 10)]
    [InlineData("mlp_gsc", 12)]
    [InlineData("cnn_kws", 12)]
    [InlineData("lenet5", 10)]
    [InlineData("mlp_28x28", 10)]
    public void EveryModelMapsABatchToLogits(string name, int classes)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var info = ModelZoo.Describe(name);
        Assert.Equal(classes, info.DefaultClasses);
        using var model = ModelZoo.Create(name, numClasses: 7, seed: 3);
        model.eval();
        var x = randn(new[] { 2L }.Concat(info.SampleShape).ToArray());
        using var _ = no_grad();
        var y = model.forward(x);
        Assert.Equal(new long[] { 2, 7 }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void FlatInputsAreAcceptedByTheMfccAndImageModels()
    {
        using var scope = NewDisposeScope();
        using var cnn = ModelZoo.Create("cnn_kws", seed: 1);
        using var lenet = ModelZoo.Create("lenet5", seed: 1);
        cnn.eval(); lenet.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 3, 12 }, cnn.forward(randn(3, 490)).shape);
        Assert.Equal(new long[] { 3, 10 }, lenet.forward(randn(3, 784)).shape);
        var e = Assert.Throws<ArgumentException>(() => lenet.forward(randn(3, 785)));
        Assert.Contains("785", e.Message);
    }

    [Fact]
    public void SeedMakesInitialisationReproducible()
    {
        using var a = ModelZoo.Create("resnet20", seed: 42);
        using var b = ModelZoo.Create("resnet20", seed: 42);
        using var c = ModelZoo.Create("resnet20", seed: 43);
        var pa = StateDictLoader.Targets(a); var pb = StateDictLoader.Targets(b); var pc = StateDictLoader.Targets(c);
        Assert.True(TensorAssert.Same(pa["layer2.0.conv1.weight"], pb["layer2.0.conv1.weight"]));
        Assert.False(TensorAssert.Same(pa["layer2.0.conv1.weight"], pc["layer2.0.conv1.weight"]));
    }

    [Fact]
    public void KaimingInitHasTheHeStandardDeviation()
    {
        using var model = ModelZoo.Create("resnet20", seed: 5);
        var w = StateDictLoader.Targets(model)["layer3.1.conv2.weight"]; // fan-in 64·9 = 576
        double std = w.std().item<float>();
        Assert.InRange(std, Math.Sqrt(2.0 / 576) * 0.97, Math.Sqrt(2.0 / 576) * 1.03);
    }

    [Fact]
    public void VggAndMlpUseTheDocumentedNames()
    {
        using var vgg = ModelZoo.Create("vgg16");
        var v = StateDictLoader.Targets(vgg);
        Assert.Equal(new long[] { 64, 3, 3, 3 }, v["features.0.weight"].shape);
        Assert.Equal(new long[] { 64 }, v["features.1.running_mean"].shape);
        Assert.Equal(new long[] { 10, 512 }, v["classifier.weight"].shape);
        Assert.Equal(13, v.Keys.Count(k => k.StartsWith("features.") && k.EndsWith(".weight") && v[k].dim() == 4));
        using var mlp = ModelZoo.Create("mlp_gsc");
        var m = StateDictLoader.Targets(mlp);
        Assert.Equal(new long[] { 512, 490 }, m["fc1.weight"].shape);
        Assert.Equal(new long[] { 256, 512 }, m["fc3.weight"].shape);
        Assert.Equal(new long[] { 12, 256 }, m["fc4.weight"].shape);
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet56"));
        Assert.Contains("resnet56", e.Message);
        Assert.Contains("resnet20", e.Message);
        Assert.Equal("mlp_28x28", ModelZoo.Describe("LeNet300").Name);
    }
}
