using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Cli.Verbs;

/// <summary>
/// Checks of <c>ecqx explain</c>'s input files before any relevance is computed: values must be finite, and the
/// model's logits for every sample must be finite too (finite float32 inputs near 3e38 overflow in the first layer), and
/// float64 values must fit float32 (<see cref="ToFloat32"/>).
/// Errors name the file, the first offending sample and its largest magnitude.
/// </summary>
internal static class ExplainInputChecks
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="file"/> and the first sample of
    /// <paramref name="batch"/> [N, …] that holds NaN or ±Inf.</summary>
    public static void CheckValues(Tensor batch, string file, string what)
    {
        using var scope = NewDisposeScope();
        var badPerSample = batch.isfinite().logical_not().reshape(batch.shape[0], -1).any(1);
        if (!badPerSample.any().item<bool>()) return;
        long first = badPerSample.nonzero()[0, 0].item<long>();
        var sample = batch[first].flatten();
        long at = sample.isfinite().logical_not().nonzero()[0, 0].item<long>();
        throw new ArgumentException(FormattableString.Invariant(
            $"{file}: {what} {first} holds a non-finite value ({sample[at].item<float>()} at element {at}); inputs must be finite"));
    }

    /// <summary>
    /// <paramref name="values"/> as float32 (the models compute in float32). A float64 value that is finite in the file
    /// but beyond float32's range (|x| above about 3.4e38, e.g. 1e300) would become ±Infinity and then be reported as
    /// non-finite; it throws an <see cref="ArgumentException"/> naming <paramref name="file"/>, the value and its index instead.
    /// </summary>
    public static Tensor ToFloat32(Tensor values, string file)
    {
        var converted = values.to_type(ScalarType.Float32);
        if (values.dtype != ScalarType.Float64) return converted;
        using var scope = NewDisposeScope();
        var overflow = converted.isinf().logical_and(values.isfinite()).reshape(-1);
        if (!overflow.any().item<bool>()) return converted;
        long at = overflow.nonzero()[0, 0].item<long>();
        double value = values.reshape(-1)[at].item<double>();
        var index = new long[values.dim()];
        long rest = at;
        for (int d = index.Length - 1; d >= 0; d--) { index[d] = rest % values.shape[d]; rest /= values.shape[d]; }
        throw new ArgumentException(FormattableString.Invariant(
            $"{file}: the float64 value {value:R} at index [{string.Join(", ", index)}] overflows float32 (largest finite float32: ±{float.MaxValue:R}); ") +
            "the models compute in float32 — scale the inputs to the range the model was trained on");
    }

    /// <summary>
    /// Runs the model on <paramref name="batch"/> in chunks and returns the predicted classes [N] (CPU, int64);
    /// throws an <see cref="ArgumentException"/> naming <paramref name="file"/> and the first sample whose logits
    /// are NaN or infinite.
    /// </summary>
    public static Tensor CheckedPredictions(nn.Module<Tensor, Tensor> model, Tensor batch, int chunk, Device device, string file, string what)
    {
        long n = batch.shape[0];
        var predictions = new List<Tensor>();
        using (no_grad())
        {
            for (long s = 0; s < n; s += chunk)
            {
                using var scope = NewDisposeScope();
                var x = batch.narrow(0, s, Math.Min(chunk, n - s));
                var logits = model.forward(x.to(device)).cpu();
                var bad = logits.isfinite().logical_not().reshape(logits.shape[0], -1).any(1);
                if (bad.any().item<bool>())
                {
                    long first = bad.nonzero()[0, 0].item<long>();
                    double largest = x[first].abs().max().item<float>();
                    throw new ArgumentException(
                        $"{file}: {what} {(s + first).ToString(CultureInfo.InvariantCulture)} gives NaN or infinite logits in model " +
                        $"'{model.GetName()}' (its largest |value| is {largest.ToString("G4", CultureInfo.InvariantCulture)}; " +
                        "float32 values this large overflow in the forward pass): scale the inputs to the range the model was trained on");
                }
                predictions.Add(logits.argmax(1).MoveToOuterDisposeScope());
            }
        }
        return cat(predictions, 0);
    }
}
