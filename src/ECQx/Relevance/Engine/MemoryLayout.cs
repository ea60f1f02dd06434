using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>
/// Channels-last ("NHWC") layout for the relevance passes on the CPU. oneDNN convolutions on NCHW tensors
/// reorder every input, output and gradient to a blocked layout and back; with channels-last activations they
/// work in place, which makes the forward, transposed (input-gradient) and weight-gradient convolutions of a
/// ResNet-20 pass markedly cheaper (a strided transposed convolution several times so). The layout only changes
/// strides: shapes, values (up to the summation order of the convolution) and every elementwise op are unchanged.
/// </summary>
internal static class MemoryLayout
{
    /// <summary>Whether <paramref name="x"/> is a 4-d CPU tensor the relevance passes should run channels-last.</summary>
    public static bool PrefersChannelsLast(Tensor x) => x.dim() == 4 && x.device_type == DeviceType.CPU;

    /// <summary>Whether the strides of the 4-d <paramref name="x"/> are dense NHWC.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return false;
        long[] shape = x.shape, stride = x.stride();
        long c = shape[1], h = shape[2], w = shape[3];
        return stride[1] == 1 && stride[3] == c && stride[2] == c * w && stride[0] == c * h * w;
    }

    /// <summary>
    /// A view of <paramref name="x"/> whose element order is its memory order (NHWC for a channels-last tensor),
    /// for whole-tensor reductions, which are slow on the permuted strides.
    /// </summary>
    public static Tensor DenseOrderView(Tensor x) => IsChannelsLast(x) ? x.permute(0, 2, 3, 1) : x.alias();

    /// <summary>
    /// <paramref name="x"/> itself when it is not a 4-d CPU tensor or is already channels-last; otherwise a
    /// channels-last copy with the same shape and values.
    /// </summary>
    public static Tensor ToChannelsLastOnCpu(Tensor x)
    {
        if (!PrefersChannelsLast(x) || IsChannelsLast(x)) return x;
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }
}
