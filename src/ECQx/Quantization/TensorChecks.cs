using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>Input checks shared by the quantizer entry points; every message names the tensor.</summary>
internal static class TensorChecks
{
    public static void RequireFloating(Tensor? t, string name, string what)
    {
        if (t is null) throw new ArgumentNullException(what, $"The {what} of tensor '{name}' is null.");
        if (t.IsInvalid) throw new ObjectDisposedException(what, $"The {what} of tensor '{name}' has been disposed.");
        if (!torch.is_floating_point(t))
            throw new ArgumentException($"The {what} of tensor '{name}' must be a floating-point tensor, got {t.dtype}.", what);
    }

    public static void RequireNonEmpty(Tensor t, string name, string what)
    {
        if (t.numel() == 0)
            throw new ArgumentException($"The {what} of tensor '{name}' is empty (shape [{string.Join(", ", t.shape)}]).", what);
    }

    /// <summary>Work dtype: float64 stays float64, every other float type is compared in float32 (exactly).</summary>
    public static ScalarType WorkType(Tensor t) => t.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Min and max of a flat tensor as doubles (one host sync); NaN propagates into both.</summary>
    public static (double Min, double Max) MinMax(Tensor flat)
    {
        var (mn, mx) = torch.aminmax(flat);
        using (mn)
        using (mx)
        using (var both = torch.stack(new[] { mn.to_type(ScalarType.Float64), mx.to_type(ScalarType.Float64) }).cpu())
        {
            var v = both.data<double>().ToArray();
            return (v[0], v[1]);
        }
    }

    /// <summary>Throws when min/max show a NaN or infinity, naming the first bad flat index and its value.</summary>
    public static void RequireFinite(Tensor flat, double min, double max, string name, string what)
    {
        if (double.IsFinite(min) && double.IsFinite(max)) return;
        using var scope = torch.NewDisposeScope();
        var bad = flat.isfinite().logical_not();
        long index = bad.to_type(ScalarType.Int32).argmax().item<long>();
        double value = flat[index].to_type(ScalarType.Float64).item<double>();
        throw new InvalidDataException(
            $"The {what} of tensor '{name}' contain a non-finite value ({value}) at flat index {index} " +
            $"(of {flat.numel()}); quantization needs finite values.");
    }
}
