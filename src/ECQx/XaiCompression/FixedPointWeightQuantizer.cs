using ECQx.Quantization;
using ECQx.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// Integer fixed-point symmetric quantization per layer with its own bit width b_l, as a trainer
/// <see cref="IWeightQuantizer"/> (straight-through fine-tuning). Grid: <c>q·Δ</c>, q ∈ [−(2^{b−1}−1), 2^{b−1}−1],
/// <c>Δ = max|W|/(2^{b−1}−1)</c> fixed from the weights at the start (an all-zero tensor keeps Δ = 0 and stays zero);
/// <c>ŵ = clamp(round(w/Δ))·Δ</c>; the gradient passes through unchanged (plain STE). The codebook and step are
/// written by <see cref="QuantizationAwareTrainer.SaveQuantizedStateDict"/> as <c>ecqx.step.*</c>/<c>ecqx.bits.*</c>.
/// </summary>
public sealed class FixedPointWeightQuantizer : IWeightQuantizer
{
    private readonly IReadOnlyDictionary<string, int> _bits;

    /// <summary>Quantizes the named tensors with the given bit widths (each ≥ 2).</summary>
    public FixedPointWeightQuantizer(IReadOnlyDictionary<string, int> bitsPerTensor)
    {
        _bits = bitsPerTensor ?? throw new ArgumentNullException(nameof(bitsPerTensor));
        foreach (var (n, b) in _bits)
            if (b < 2 || b > 16) throw new ArgumentException($"bit width of '{n}' must be in [2, 16] (got {b})");
    }

    /// <summary>Largest integer level of a b-bit symmetric grid, 2^{b−1} − 1.</summary>
    public static int MaxLevel(int bits) => (1 << (bits - 1)) - 1;

    /// <inheritdoc />
    public bool IsQuantized(string name, Tensor parameter) => _bits.ContainsKey(name);

    /// <inheritdoc />
    public Codebook CreateCodebook(string name, Tensor pretrained)
    {
        int b = _bits[name];
        int q = MaxLevel(b);
        double max = pretrained.detach().abs().max().item<float>();
        double step = q == 0 ? 0 : max / q;
        // levels −q … q lie in the signed grid −2^(b−1) … 2^(b−1) − 1 (its lowest level stays empty)
        return new Codebook(b, step, -(1 << (b - 1)), pretrained.device, name);
    }

    /// <inheritdoc />
    public LayerQuantization Quantize(string name, Tensor background, Codebook codebook, long largestLayerSize, Tensor? relevance)
    {
        Tensor v = codebook.Step == 0 ? zeros_like(background) : Round(background, codebook.Step, codebook.Bits);
        double sparsity = v.eq(0).to(float32).mean().item<float>();
        long n = v.numel();
        double zeros = n == 0 ? 0 : (double)v.eq(0).sum().item<long>() / n;
        return new LayerQuantization(v, sparsity, zeros, codebook.LevelHistogram(v));
    }

    /// <summary>
    /// <c>clamp(round(w/Δ), −q, q)·Δ</c>, computed in float64 and rounded once to the weight's dtype (so every value
    /// is exactly <c>(float)(k·Δ)</c>, as the coder reconstructs it); zeros are +0.
    /// </summary>
    public static Tensor Round(Tensor w, double step, int bits)
    {
        int q = MaxLevel(bits);
        using var scope = NewDisposeScope();
        return w.to(float64).div(step).round().clamp(-q, q).mul(step).add(0.0).to(w.dtype).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor ScaleGradient(string name, Tensor gradient, Tensor quantized) => gradient.clone();
}
