using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// The basic block of the CIFAR ResNets: <c>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))</c>, with
/// bias-free 3×3 convs and an identity shortcut, or an "option A" <see cref="ZeroPadSubsample"/> shortcut
/// when the block changes resolution or width. ReLUs and the sum are functional, as in the reference.
/// </summary>
public sealed class CifarBasicBlock : GraphModule
{
#pragma warning disable IDE0044, IDE0052
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly nn.Module<Tensor, Tensor>? shortcut;
#pragma warning restore IDE0044, IDE0052

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    public CifarBasicBlock(long inPlanes, long planes, long stride) : base("BasicBlock")
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        LayerNode shortcutNode;
        if (stride != 1 || inPlanes != planes)
        {
            if (stride != 2 || planes != 2 * inPlanes)
                throw new ArgumentException($"option-A shortcut needs stride 2 and doubled width, got {inPlanes}→{planes} stride {stride}");
            shortcut = new ZeroPadSubsample(planes / 4);
            shortcutNode = new ModuleStep(shortcut);
        }
        else
        {
            shortcut = null;
            shortcutNode = new LayerChain();
        }
        var branch = new LayerChain(
            new ModuleStep(conv1), new ModuleStep(bn1), new ModuleStep(nn.ReLU(), Functional: true),
            new ModuleStep(conv2), new ModuleStep(bn2));
        Complete(new LayerChain(
            new ResidualSum(branch, shortcutNode, FunctionalAdd: true),
            new ModuleStep(nn.ReLU(), Functional: true)));
    }

    /// <summary>True when the shortcut subsamples and zero-pads (the block changes resolution and width).</summary>
    public bool HasPaddingShortcut => shortcut is not null;
}
