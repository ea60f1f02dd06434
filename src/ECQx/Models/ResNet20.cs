using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// The CIFAR ResNet-20 of He et al. (2016) as implemented by Idelbayev (<c>pytorch_resnet_cifar10</c>) and used
/// by the ECQx reference (spec §c.1): a 3×3/16 stem conv + BN + ReLU, three stages of three
/// <see cref="CifarBasicBlock"/>s with 16/32/64 channels and strides 1/2/2 (bias-free convs, "option A"
/// zero-pad shortcuts), a global average pool and a 64→classes linear layer, Kaiming-normal initialised.
/// Parameter and buffer names equal the PyTorch state dict (<c>conv1.weight</c>, <c>bn1.running_mean</c>,
/// <c>layer1.0.conv1.weight</c>, …, <c>linear.bias</c>). The ReLUs and the pool are functional in the reference,
/// which matters for LRP (spec §b.5), so they are marked functional in <see cref="ILayerGraphModule.Graph"/>.
/// </summary>
public sealed class ResNet20 : GraphModule
{
#pragma warning disable IDE0044, IDE0052 // fields are registered as submodules by name
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Linear linear;
#pragma warning restore IDE0044, IDE0052

    /// <summary>Builds ResNet-20 with <paramref name="numClasses"/> outputs; <paramref name="generator"/> seeds the init.</summary>
    public ResNet20(int numClasses = 10, Generator? generator = null) : this(3, numClasses, generator) { }

    /// <summary>Builds the ResNet with <paramref name="blocksPerStage"/> blocks per stage (3 → ResNet-20, 5 → ResNet-32).</summary>
    public ResNet20(int blocksPerStage, int numClasses, Generator? generator) : base("ResNet20")
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "needs at least one class");
        if (blocksPerStage < 1) throw new ArgumentOutOfRangeException(nameof(blocksPerStage), blocksPerStage, "needs at least one block per stage");
        NumClasses = numClasses;
        conv1 = nn.Conv2d(3, 16, 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(16);
        long inPlanes = 16;
        layer1 = MakeStage(ref inPlanes, 16, blocksPerStage, 1);
        layer2 = MakeStage(ref inPlanes, 32, blocksPerStage, 2);
        layer3 = MakeStage(ref inPlanes, 64, blocksPerStage, 2);
        linear = nn.Linear(64, numClasses);
        Complete(new LayerChain(
            new ModuleStep(conv1), new ModuleStep(bn1), new ModuleStep(nn.ReLU(), Functional: true),
            new ModuleStep(layer1), new ModuleStep(layer2), new ModuleStep(layer3),
            new ModuleStep(nn.AdaptiveAvgPool2d(1), Functional: true),
            new ModuleStep(nn.Flatten(), Functional: true),
            new ModuleStep(linear)));
        ModelInit.Initialize(this, generator, kaimingWeights: true);
        // Idelbayev's init touches only weights with Kaiming; the linear bias keeps PyTorch's default uniform init.
    }

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; }

    private static Sequential MakeStage(ref long inPlanes, long planes, int blocks, long stride)
    {
        var list = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < blocks; i++)
        {
            list.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), new CifarBasicBlock(inPlanes, planes, i == 0 ? stride : 1)));
            inPlanes = planes;
        }
        return nn.Sequential(list);
    }
}
