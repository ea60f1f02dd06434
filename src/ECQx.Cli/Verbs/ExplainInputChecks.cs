using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Cli.Verbs;

/// <summary>
/// Checks of <c>ecqx explain</c>'s input files before any relevance is computed: values must be finite, and the
/// model's logits for every sample must be finite too (finite float32 inputs near 3e38 overflow in the first layer).
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
