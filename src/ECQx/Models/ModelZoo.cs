using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>What the zoo knows about one model: its canonical name, default class count and input shape.</summary>
/// <param name="Name">Canonical name, as accepted by <see cref="ModelZoo.Create"/>.</param>
/// <param name="DefaultClasses">Class count used when none is given.</param>
/// <param name="SampleShape">Shape of one input sample (without the batch dimension).</param>
/// <param name="Description">One line for help texts.</param>
public sealed record ModelInfo(string Name, int DefaultClasses, long[] SampleShape, string Description);

/// <summary>Creates the package's models by name (<c>resnet20</c>, <c>vgg16</c>, <c>mlp_gsc</c>, …).</summary>
public static class ModelZoo
{
    private static readonly ModelInfo[] Infos =
    {
        new("resnet20", 10, new long[] { 3, 32, 32 }, "CIFAR ResNet-20 (Idelbayev, option-A shortcuts), 0.27 M parameters"),
        new("vgg16", 10, new long[] { 3, 32, 32 }, "VGG-16 with batch norm for 32×32 images, one linear classifier"),
        new("vgg16_2fc", 10, new long[] { 3, 32, 32 }, "VGG-16 with batch norm for 32×32 images, two linear layers (512 hidden)"),
        new("mlp_gsc", 12, new long[] { 490 }, "MLP for Speech Commands 49×10 MFCC: 490→512→512→256→classes, BN+ReLU"),
        new("cnn_kws", 12, new long[] { 1, 49, 10 }, "small CNN keyword spotter on 49×10 MFCC maps"),
        new("lenet5", 10, new long[] { 1, 28, 28 }, "LeNet-5 for 28×28 grey-scale images"),
        new("mlp_28x28", 10, new long[] { 784 }, "LeNet-300-100 MLP for 28×28 grey-scale images"),
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["resnet-20"] = "resnet20", ["vgg"] = "vgg16", ["vgg16_bn"] = "vgg16", ["mlp"] = "mlp_gsc",
        ["speech_mlp"] = "mlp_gsc", ["kws_cnn"] = "cnn_kws", ["lenet"] = "lenet5",
        ["lenet300"] = "mlp_28x28", ["mlp_mnist"] = "mlp_28x28",
    };

    /// <summary>The canonical model names.</summary>
    public static IReadOnlyList<string> Names => Infos.Select(i => i.Name).ToArray();

    /// <summary>Information about a model name (canonical or alias); unknown names are an error listing the known ones.</summary>
    public static ModelInfo Describe(string name)
    {
        string key = Canonical(name);
        return Infos.First(i => i.Name == key);
    }

    /// <summary>
    /// Builds a freshly initialised model on <paramref name="device"/> (CPU when null). <paramref name="seed"/>
    /// makes the initialisation reproducible without touching torch's global generator.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(string name, int? numClasses = null, Device? device = null, long? seed = null)
    {
        TorchRuntime.EnsureLoaded();
        var info = Describe(name);
        int classes = numClasses ?? info.DefaultClasses;
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), classes, "needs at least one class");
        using var generator = seed.HasValue ? new Generator((ulong)seed.Value, CPU) : null;
        nn.Module<Tensor, Tensor> model = info.Name switch
        {
            "resnet20" => new ResNet20(classes, generator),
            "vgg16" => new Vgg16Cifar(classes, 0, generator),
            "vgg16_2fc" => new Vgg16Cifar(classes, 512, generator),
            "mlp_gsc" => new SpeechMlp(classes, generator: generator),
            "cnn_kws" => new KeywordCnn(classes, generator),
            "lenet5" => new LeNet5(classes, generator),
            "mlp_28x28" => new ImageMlp(classes, generator: generator),
            _ => throw new InvalidOperationException($"model '{info.Name}' is listed but has no constructor"),
        };
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        return model;
    }

    private static string Canonical(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("model name is empty", nameof(name));
        string n = name.Trim().ToLowerInvariant().Replace('-', '_');
        if (Infos.Any(i => i.Name == n)) return n;
        if (Aliases.TryGetValue(n, out var a) || Aliases.TryGetValue(name.Trim(), out a)) return a;
        throw new ArgumentException($"unknown model '{name}'. Known models: {string.Join(", ", Infos.Select(i => i.Name))}", nameof(name));
    }
}
