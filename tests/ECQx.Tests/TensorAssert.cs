using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Tests;

/// <summary>Small tensor comparisons for assertions.</summary>
public static class TensorAssert
{
    /// <summary>True when both tensors have the same shape and identical values.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }

    /// <summary>Largest absolute difference (after broadcasting), as a double.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }
}
