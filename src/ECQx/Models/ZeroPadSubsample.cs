using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// The "option A" ResNet shortcut of the CIFAR ResNets (He et al. 2016; Idelbayev's <c>LambdaLayer</c>):
/// take every second pixel (<c>x[:, :, ::2, ::2]</c>) and zero-pad <c>padChannels</c> channel planes on each
/// side, so a block that halves the resolution and doubles the width needs no parameters on its shortcut.
/// </summary>
public sealed class ZeroPadSubsample : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the shortcut; <paramref name="padChannels"/> zero planes go before and after the input's.</summary>
    public ZeroPadSubsample(long padChannels) : base(nameof(ZeroPadSubsample))
    {
        if (padChannels < 0) throw new ArgumentOutOfRangeException(nameof(padChannels), padChannels, "must be ≥ 0");
        PadChannels = padChannels;
    }

    /// <summary>Zero planes added before and after the input channels.</summary>
    public long PadChannels { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"ZeroPadSubsample expects [N, C, H, W] input, got [{string.Join(", ", x.shape)}].");
        using var sub = x[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
        return nn.functional.pad(sub, new long[] { 0, 0, 0, 0, PadChannels, PadChannels }, PaddingModes.Constant, 0.0);
    }
}
