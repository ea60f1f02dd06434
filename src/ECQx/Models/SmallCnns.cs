using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// A small CNN keyword spotter for 49×10 MFCC maps (Speech Commands): input N×1×49×10 (or N×490),
/// <c>conv1</c> 1→16 3×3 + <c>bn1</c> + ReLU + 2×2 max pool (→16×24×5), <c>conv2</c> 16→32 3×3 + <c>bn2</c> +
/// ReLU + 2×2 max pool (→32×12×2), flatten (768), <c>fc1</c> 768→64 + ReLU, <c>fc2</c> 64→classes.
/// About 55 k parameters: a compact convolutional baseline beside <see cref="SpeechMlp"/>.
/// </summary>
public sealed class KeywordCnn : GraphModule
{
    /// <summary>Builds the network; <paramref name="generator"/> seeds the initialisation.</summary>
    public KeywordCnn(int numClasses = 12, Generator? generator = null) : base("CNN_KWS")
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "needs at least one class");
        var conv1 = Add("conv1", nn.Conv2d(1, 16, 3, padding: 1));
        var bn1 = Add("bn1", nn.BatchNorm2d(16));
        var conv2 = Add("conv2", nn.Conv2d(16, 32, 3, padding: 1));
        var bn2 = Add("bn2", nn.BatchNorm2d(32));
        var fc1 = Add("fc1", nn.Linear(32 * 12 * 2, 64));
        var fc2 = Add("fc2", nn.Linear(64, numClasses));
        Complete(new LayerChain(
            new ModuleStep(new ReshapeTo(1, 49, 10), Functional: true),
            new ModuleStep(conv1), new ModuleStep(bn1), new ModuleStep(nn.ReLU()), new ModuleStep(nn.MaxPool2d(2, 2)),
            new ModuleStep(conv2), new ModuleStep(bn2), new ModuleStep(nn.ReLU()), new ModuleStep(nn.MaxPool2d(2, 2)),
            new ModuleStep(nn.Flatten(), Functional: true),
            new ModuleStep(fc1), new ModuleStep(nn.ReLU()),
            new ModuleStep(fc2)), registerFields: false);
        ModelInit.Initialize(this, generator, kaimingWeights: true);
    }
}

/// <summary>
/// LeNet-5 for 28×28 grey-scale images: <c>conv1</c> 1→6 5×5 (pad 2) + ReLU + 2×2 max pool, <c>conv2</c> 6→16
/// 5×5 + ReLU + 2×2 max pool (→16×5×5), <c>fc1</c> 400→120, <c>fc2</c> 120→84, <c>fc3</c> 84→classes, ReLUs
/// between. Accepts N×1×28×28 or N×784.
/// </summary>
public sealed class LeNet5 : GraphModule
{
    /// <summary>Builds the network; <paramref name="generator"/> seeds the initialisation.</summary>
    public LeNet5(int numClasses = 10, Generator? generator = null) : base("LeNet5")
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "needs at least one class");
        var conv1 = Add("conv1", nn.Conv2d(1, 6, 5, padding: 2));
        var conv2 = Add("conv2", nn.Conv2d(6, 16, 5));
        var fc1 = Add("fc1", nn.Linear(16 * 5 * 5, 120));
        var fc2 = Add("fc2", nn.Linear(120, 84));
        var fc3 = Add("fc3", nn.Linear(84, numClasses));
        Complete(new LayerChain(
            new ModuleStep(new ReshapeTo(1, 28, 28), Functional: true),
            new ModuleStep(conv1), new ModuleStep(nn.ReLU()), new ModuleStep(nn.MaxPool2d(2, 2)),
            new ModuleStep(conv2), new ModuleStep(nn.ReLU()), new ModuleStep(nn.MaxPool2d(2, 2)),
            new ModuleStep(nn.Flatten(), Functional: true),
            new ModuleStep(fc1), new ModuleStep(nn.ReLU()),
            new ModuleStep(fc2), new ModuleStep(nn.ReLU()),
            new ModuleStep(fc3)), registerFields: false);
        ModelInit.Initialize(this, generator, kaimingWeights: true);
    }
}
