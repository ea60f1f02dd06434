using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// VGG-16 with batch norm for 32×32 inputs (CIFAR-10), in the common CIFAR layout (Liu's
/// <c>pytorch-cifar</c>): 13 conv3×3 (pad 1, with bias) + BN + ReLU layers with widths
/// 64,64,M,128,128,M,256×3,M,512×3,M,512×3,M (M = 2×2 max pool) in <c>features</c>, leaving 512×1×1, then
/// <c>classifier</c>: one linear layer 512→classes, or with <c>hiddenUnits</c> &gt; 0 two linear layers
/// (<c>classifier.0</c> 512→hidden, ReLU, Dropout(0.5), <c>classifier.3</c> hidden→classes).
/// State-dict names: <c>features.0.weight</c>, <c>features.1.running_mean</c>, …, <c>classifier.weight</c>.
/// ReLUs and pools are modules (hooked in the LRP sense). Convs are Kaiming-normal initialised.
/// </summary>
public sealed class Vgg16Cifar : GraphModule
{
    /// <summary>The conv widths, with 0 marking a 2×2 max pool.</summary>
    public static readonly IReadOnlyList<int> Configuration =
        new[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 };

    /// <summary>Builds the network; <paramref name="generator"/> seeds the initialisation.</summary>
    public Vgg16Cifar(int numClasses = 10, int hiddenUnits = 0, Generator? generator = null) : base("VGG16")
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "needs at least one class");
        if (hiddenUnits < 0) throw new ArgumentOutOfRangeException(nameof(hiddenUnits), hiddenUnits, "must be ≥ 0");
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long inCh = 3;
        foreach (int width in Configuration)
        {
            string idx() => layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (width == 0) { layers.Add((idx(), nn.MaxPool2d(2, 2))); continue; }
            layers.Add((idx(), nn.Conv2d(inCh, width, 3, padding: 1, bias: true)));
            layers.Add((idx(), nn.BatchNorm2d(width)));
            layers.Add((idx(), nn.ReLU()));
            inCh = width;
        }
        var features = Add("features", nn.Sequential(layers));
        nn.Module<Tensor, Tensor> classifier = hiddenUnits == 0
            ? nn.Linear(512, numClasses)
            : nn.Sequential(("0", nn.Linear(512, hiddenUnits)), ("1", nn.ReLU()), ("2", nn.Dropout(0.5)), ("3", nn.Linear(hiddenUnits, numClasses)));
        Add("classifier", classifier);
        Complete(new LayerChain(new ModuleStep(features), new ModuleStep(nn.Flatten(), Functional: true), new ModuleStep(classifier)),
            registerFields: false);
        ModelInit.Initialize(this, generator, kaimingWeights: true);
    }
}
