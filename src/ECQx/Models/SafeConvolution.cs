using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Models;

/// <summary>
/// Convolutions that give the same, finite result whatever the memory held before. libtorch 2.10's oneDNN
/// convolution kernels read the unused lanes of their last channel block (16 channels with AVX-512, 8 with AVX2)
/// from memory nobody wrote: forward when the input channels are neither ≤ 8 nor a multiple of the block, backward
/// when the output channels are not a multiple of it. Multiplied by zero weights, finite leftovers vanish, but a NaN
/// or infinity left there by an earlier tensor turns whole feature maps into NaN — so a pruned model (24, 26 or 44
/// channels) evaluated twice gave different accuracies, and its relevance was sometimes non-finite. Measured on a
/// 2-core AMD EPYC (environment.md, "Convolutions with uneven channel counts"): with the freed memory filled with NaN, every such shape failed.
/// <para>
/// The models' own shapes (16/32/64 channels in ResNet20, 64–512 in VGG16, a first layer of 1–3 channels) keep
/// libtorch's convolution, so their results — and the parity with the reference — are untouched. A convolution
/// with an unsafe channel count is computed as im2col (<c>unfold</c>) and one matrix product instead, which reads
/// only its operands; autograd differentiates it as usual. The same rule serves the models' forward pass
/// (<see cref="LayerGraph.Run"/>) and the relevance engine.
/// </para>
/// </summary>
public static class SafeConvolution
{
    /// <summary>The channel block of the widest oneDNN kernels (AVX-512); a multiple of it is also one of AVX2's 8.</summary>
    public const long ChannelBlock = 16;

    /// <summary>
    /// Whether a convolution with these channel counts is computed without oneDNN: output channels not a multiple of
    /// <see cref="ChannelBlock"/>, or more than 8 input channels that are not a multiple of it. Grouped convolutions
    /// keep libtorch's path (none of the models has one).
    /// </summary>
    public static bool Bypasses(long inChannels, long outChannels, long groups = 1) =>
        groups == 1 && (outChannels % ChannelBlock != 0 || (inChannels > 8 && inChannels % ChannelBlock != 0));

    /// <summary>
    /// <paramref name="module"/> applied to <paramref name="x"/>: its own forward unless it is a zero-padded
    /// convolution whose channel counts <see cref="Bypasses"/> oneDNN.
    /// </summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> module, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is not TorchSharp.Modules.Convolution conv || conv is not (TorchSharp.Modules.Conv2d or TorchSharp.Modules.Conv1d)
            || conv.padding_mode != PaddingModes.Zeros || conv.padding_type == Padding.Same || conv.weight is null
            || !Bypasses(conv.weight.shape[1] * conv.groups, conv.weight.shape[0], conv.groups))
            return module.forward(x);
        long[] padding = ExplicitPadding(conv);
        return conv is TorchSharp.Modules.Conv2d
            ? Conv2d(x, conv.weight, conv.bias, conv.stride, padding, conv.dilation, conv.groups)
            : Conv1d(x, conv.weight, conv.bias, conv.stride[0], padding[0], conv.dilation[0], conv.groups);
    }

    /// <summary>
    /// The zero padding per spatial dimension of a convolution given explicit sizes or <c>valid</c> (zeros); not
    /// meaningful for <c>same</c>, which callers reject or leave to the module.
    /// </summary>
    internal static long[] ExplicitPadding(TorchSharp.Modules.Convolution conv) =>
        conv.padding_type == Padding.Valid || conv.padding is null ? new long[conv.stride.Length] : conv.padding;

    /// <summary><c>conv2d</c> with libtorch's semantics (zero padding); see <see cref="Bypasses"/> for the path taken.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (!Bypasses(weight.shape[1] * groups, weight.shape[0], groups) || x.ndim != 4)
            return nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
        if (x.shape[1] != weight.shape[1])
            throw new ArgumentException($"conv2d: input has {x.shape[1]} channels, the weight [{string.Join(", ", weight.shape)}] expects {weight.shape[1]}");
        long n = x.shape[0], oc = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        long oh = (x.shape[2] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
        long ow = (x.shape[3] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"conv2d: input [{string.Join(", ", x.shape)}] is smaller than the kernel {kh}×{kw} (dilation {dilation[0]}×{dilation[1]}, padding {padding[0]}×{padding[1]})");
        using var scope = NewDisposeScope();
        var columns = nn.functional.unfold(x, (kh, kw), (dilation[0], dilation[1]), (padding[0], padding[1]), (stride[0], stride[1]));
        var y = weight.reshape(oc, -1).matmul(columns);
        if (bias is not null) y = y.add(bias.reshape(1, oc, 1));
        return y.reshape(n, oc, oh, ow).MoveToOuterDisposeScope();
    }

    /// <summary><c>conv1d</c> with libtorch's semantics (zero padding); see <see cref="Bypasses"/> for the path taken.</summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, long stride, long padding, long dilation, long groups = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (!Bypasses(weight.shape[1] * groups, weight.shape[0], groups) || x.ndim != 3)
            return nn.functional.conv1d(x, weight, bias, stride, padding, dilation, groups);
        using var scope = NewDisposeScope();
        var y = Conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, [1, stride], [0, padding], [1, dilation]);
        return y.squeeze(2).MoveToOuterDisposeScope();
    }
}
