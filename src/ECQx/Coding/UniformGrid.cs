using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Coding;

/// <summary>
/// Turns float32 tensors whose values lie on a uniform grid <c>k·Δ</c> into integer levels (spec §d.1, with
/// round-to-nearest instead of the reference's truncation), and infers Δ when no quantizer metadata gives
/// it. Vectorised TorchSharp on the tensor's own device; only the levels come back to the CPU.
/// </summary>
public static class UniformGrid
{
    /// <summary>
    /// Infers the step of a tensor on a uniform grid: the smallest gap between distinct magnitudes (ignoring
    /// gaps below 2^-20 of the largest magnitude, which are rounding noise), divided by the smallest m ≤
    /// <see cref="GridOptions.MaxStepDivisor"/> that puts every magnitude within tolerance of a multiple
    /// (a gcd-like estimate), then refined by least squares and by preferring the candidate that reproduces
    /// the most values bit-exactly. Returns null for an all-zero tensor.
    /// </summary>
    /// <exception cref="InvalidDataException">The values are not on a uniform grid; the message names the
    /// tensor and an offending value.</exception>
    public static double? InferStep(Tensor values, string name, GridOptions? options = null)
    {
        options ??= GridOptions.Default;
        options.Validate();
        using var scope = NewDisposeScope();
        CheckFinite(values, name);
        var (magnitudes, _, _) = values.detach().abs().flatten().to(float64).unique(sorted: true);
        double max = magnitudes[-1].item<double>();
        if (max == 0) return null;
        var gaps = magnitudes.diff(prepend: zeros(1, dtype: float64, device: magnitudes.device));
        var significant = gaps.masked_select(gaps.gt(max * Math.Pow(2, -20)));
        if (significant.numel() == 0)
            throw NotOnGrid(name, $"its {magnitudes.numel()} distinct magnitudes are spaced more finely than 2^-20 of the largest");
        double smallestGap = significant.min().item<double>();
        double levelLimit = Math.Pow(2, options.MaxInferredBitWidth);
        for (int m = 1; m <= options.MaxStepDivisor; m++)
        {
            double step = smallestGap / m;
            if (max / step > levelLimit) break;
            if (WorstOffset(magnitudes, step).Offset > options.Tolerance) continue;
            var k = (magnitudes / step).round();
            double refined = (k * magnitudes).sum().item<double>() / (k * k).sum().item<double>();
            var candidates = new List<double> { step, (float)step };
            if (double.IsFinite(refined) && refined > 0 && WorstOffset(magnitudes, refined).Offset <= options.Tolerance)
                candidates.InsertRange(0, [refined, (float)refined]);
            return FewestMismatches(magnitudes, candidates);
        }
        var (worst, value) = WorstOffset(magnitudes, smallestGap);
        throw NotOnGrid(name,
            $"value ±{value:R} is {worst:F3} steps away from the nearest multiple of the smallest gap {smallestGap:R} " +
            $"(also tried that gap divided by 2..{options.MaxStepDivisor}, and levels up to {options.MaxInferredBitWidth} bits)");
    }

    /// <summary>
    /// Quantizes a float32 tensor that lies on the grid of step <paramref name="step"/>: level = round(w/Δ);
    /// elements whose value is not exactly <c>(float)(level·Δ)</c> (e.g. −0.0) get a value patch, so the
    /// result decodes bit-identically. The bit width is <paramref name="bitWidth"/> when given (the levels must
    /// fit a codebook of that width) or the smallest that holds the levels; the codebook offset follows the
    /// spec §a.3 conventions when the levels allow (0 for unsigned, −2^(b−1) or −2^(b−1)+1 for signed).
    /// </summary>
    /// <exception cref="InvalidDataException">A value is off the grid by more than the tolerance, is not
    /// finite, or the levels do not fit <paramref name="bitWidth"/>; the message names the tensor and value.</exception>
    public static QuantizedTensor Quantize(string name, Tensor values, double step, int? bitWidth = null, GridOptions? options = null)
    {
        options ??= GridOptions.Default;
        options.Validate();
        if (!double.IsFinite(step) || step <= 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"tensor '{name}': step must be finite and positive");
        if (values.dtype != ScalarType.Float32)
            throw new InvalidDataException($"tensor '{name}' has dtype {values.dtype}; only float32 tensors are coded as levels.");
        using var scope = NewDisposeScope();
        CheckFinite(values, name);
        var flat = values.detach().flatten();
        var exact = flat.to(float64);
        var k = (exact / step).round();
        if (k.numel() > 0)
        {
            double largest = k.abs().max().item<double>();
            if (largest > int.MaxValue)
                throw new InvalidDataException($"tensor '{name}': level {largest:R} of step {step:R} does not fit in 32 bits.");
            var offset = (exact - k * step).abs() / step;
            long at = offset.argmax().item<long>();
            double worst = offset[at].item<double>();
            if (worst > options.Tolerance)
                throw new InvalidDataException(
                    $"tensor '{name}' is not on the grid of step {step:R}: value {flat[at].item<float>():R} at index {at} is " +
                    $"{worst:F4} steps from the nearest grid value {k[at].item<double>() * step:R} (tolerance {options.Tolerance} steps).");
        }
        var integerLevels = k.to(int32);
        // Reconstruct exactly as the decoder does, from the integer levels (so −0.0 becomes +0.0 and is patched).
        var reconstructed = (integerLevels.to(float64) * step).to(float32);
        var mismatch = reconstructed.ne(flat).logical_or(reconstructed.signbit().ne(flat.signbit()));
        var patchIndex = mismatch.nonzero().flatten();
        long[] indices = patchIndex.cpu().data<long>().ToArray();
        float[] patchValues = flat.index_select(0, patchIndex).cpu().data<float>().ToArray();
        var patches = indices.Select((index, i) => new ValuePatch((int)index, patchValues[i])).ToArray();
        int[] levels = integerLevels.cpu().data<int>().ToArray();

        int min = levels.Length == 0 ? 0 : levels.Min();
        int max = levels.Length == 0 ? 0 : levels.Max();
        int width = bitWidth ?? SmallestWidth(min, max);
        if (width is < 1 or > 32)
            throw new InvalidDataException($"tensor '{name}': bit width {width} is outside 1..32.");
        int? offsetLevel = ECQx.Quantization.Codebook.LowestLevelHolding(min, max, width);
        if (offsetLevel is null)
            throw new InvalidDataException(
                $"tensor '{name}': its levels span [{min}, {max}] ({(long)max - min + 1} values), more than a {width}-bit codebook holds (step {step:R}).");
        return new QuantizedTensor(name, values.shape, levels, step, width, offsetLevel.Value, patches);
    }

    /// <summary>Smallest bit width (≥ 1) whose codebook holds the span [min, max].</summary>
    public static int SmallestWidth(int min, int max)
    {
        long span = (long)max - min + 1;
        int width = 1;
        while ((1L << width) < span) width++;
        return width;
    }

    private static void CheckFinite(Tensor values, string name)
    {
        using var scope = NewDisposeScope();
        var bad = values.detach().flatten().isfinite().logical_not();
        if (!bad.any().item<bool>()) return;
        long at = bad.nonzero()[0, 0].item<long>();
        throw new InvalidDataException($"tensor '{name}' has the non-finite value {values.flatten()[at].to(float64).item<double>()} at index {at}.");
    }

    private static (double Offset, double Value) WorstOffset(Tensor magnitudes, double step)
    {
        using var scope = NewDisposeScope();
        var ratio = magnitudes / step;
        var offset = (ratio - ratio.round()).abs();
        long at = offset.argmax().item<long>();
        return (offset[at].item<double>(), magnitudes[at].item<double>());
    }

    private static double FewestMismatches(Tensor magnitudes, List<double> candidates)
    {
        using var scope = NewDisposeScope();
        var target = magnitudes.to(float32);
        double best = candidates[0];
        long fewest = long.MaxValue;
        foreach (double step in candidates)
        {
            long mismatches = ((magnitudes / step).round() * step).to(float32).ne(target).sum().item<long>();
            if (mismatches < fewest)
            {
                fewest = mismatches;
                best = step;
            }
        }
        return best;
    }

    /// <summary>Of the given steps, the one whose grid reproduces the most of <paramref name="values"/> bit-exactly (first on ties).</summary>
    public static double ChooseExactStep(Tensor values, IReadOnlyList<double> candidates)
    {
        using var scope = NewDisposeScope();
        var magnitudes = values.detach().abs().flatten().to(float64).unique(sorted: true).Item1;
        return FewestMismatches(magnitudes, candidates.ToList());
    }

    private static InvalidDataException NotOnGrid(string name, string why) =>
        new($"tensor '{name}' does not lie on a uniform grid, so its levels cannot be inferred: {why}. " +
            "Give its step in the safetensors metadata (ecqx.step.<name>, ecqx.bits.<name>) or quantize it first.");
}
