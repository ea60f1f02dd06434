using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// Exact, fast <c>#{j : b_j &lt; w}</c> for every weight against a short sorted breakpoint list (≤ 255 entries).
/// <para>
/// <c>torch.bucketize</c> does a scalar binary search per element and is the slowest step by far. Here the
/// part of the weight range that holds breakpoints is cut into M equal cells; a host-side table gives, for
/// each cell, a count that is a lower bound for every weight that can land in the cell, and the largest
/// shortfall R over all cells. Each weight then
/// takes its cell's lower bound and R branch-free correction steps <c>c += (w &gt; b[c])</c> (b padded with +∞).
/// Cells are widened by a quarter cell on each side, far more than the float error of the cell index, so the
/// result is exact; the comparisons use <see cref="LowerEnvelope.ForFloat32"/> breakpoints for float32 weights.
/// When the breakpoints crowd into one cell (R &gt; 8) it falls back to <c>torch.bucketize</c>.
/// </para>
/// </summary>
internal static class BreakpointSearch
{
    private const int MaxCorrections = 8;

    /// <summary>Counts (int32, flat) of breakpoints strictly below each weight.</summary>
    /// <param name="flat">Flat weights in the work dtype (float32 or float64).</param>
    /// <param name="breaks">Ascending breakpoints in double precision.</param>
    /// <param name="wMin">min of the weights.</param>
    /// <param name="wMax">max of the weights.</param>
    /// <param name="work">dtype of <paramref name="flat"/>.</param>
    /// <param name="device">device of <paramref name="flat"/>.</param>
    public static Tensor Count(Tensor flat, double[] breaks, double wMin, double wMax, ScalarType work, Device device)
    {
        long n = flat.numel();
        int m = breaks.Length;
        if (m == 0) return torch.zeros(n, ScalarType.Int32, device);
        if (!(wMax > wMin))
            return torch.full(n, CountBelow(breaks, wMin), ScalarType.Int32, device);

        // The cells only need to resolve the part of the weight range that holds breakpoints; weights beyond it
        // are clamped into the edge cells, whose lower bound and shortfall cover them (count 0 below b_0, m above b_{m−1}).
        double lo = Math.Max(wMin, breaks[0]), hi = Math.Min(wMax, breaks[^1]);
        if (!(hi > lo)) (lo, hi) = (wMin, wMax);
        // The grid origin must be exact in the work dtype, or its rounding would shift every cell index.
        if (work != ScalarType.Float64) lo = LowerEnvelope.ForFloat32(new[] { lo })[0];
        int cells = Math.Clamp(32 * (m + 1), 256, 8192);
        double h = (hi - lo) / cells;
        var start = new int[cells];
        int r = 0;
        for (int g = 0; g < cells; g++)
        {
            double cellLo = g == 0 ? double.NegativeInfinity : lo + g * h - 0.25 * h;
            double cellHi = g == cells - 1 ? double.PositiveInfinity : lo + (g + 1) * h + 0.25 * h;
            start[g] = CountBelow(breaks, cellLo);
            r = Math.Max(r, CountBelowOrAt(breaks, cellHi) - start[g]);
        }
        if (r > MaxCorrections)
        {
            using var b = Codebook.BreaksTensor(breaks, work, device);
            return torch.bucketize(flat, b, true);
        }

        // Temporaries are freed as soon as they are used: a freed block of the same size is reused by the next
        // allocation, whereas holding them all to the end makes every call fault in ~100 MB of fresh pages.
        double invH = 1.0 / h;
        Tensor cell;
        using (var u = work == ScalarType.Float64 ? flat - lo : flat - (float)lo)
        {
            if (work == ScalarType.Float64) u.mul_(invH).clamp_(0.0, cells - 1.0);
            else u.mul_((float)invH).clamp_(0f, cells - 1f);
            cell = u.to_type(ScalarType.Int32);
        }
        Tensor count;
        using (cell)
        using (var startT = torch.tensor(start, device: device))
            count = startT.index_select(0, cell);
        if (r > 0)
        {
            using var b = Codebook.BreaksTensor(Pad(breaks), work, device);
            for (int i = 0; i < r; i++)
            {
                using var next = b.index_select(0, count);
                using var above = flat.gt(next);
                count.add_(above);
            }
        }
        return count;
    }

    private static double[] Pad(double[] breaks)
    {
        var p = new double[breaks.Length + 1];
        Array.Copy(breaks, p, breaks.Length);
        p[^1] = double.PositiveInfinity;
        return p;
    }

    /// <summary>#{b &lt; x} for ascending b.</summary>
    internal static int CountBelow(double[] b, double x)
    {
        int lo = 0, hi = b.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (b[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>#{b ≤ x} for ascending b.</summary>
    private static int CountBelowOrAt(double[] b, double x)
    {
        int lo = 0, hi = b.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (b[mid] <= x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
