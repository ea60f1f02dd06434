using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Quantization;

/// <summary>
/// Exact, fast <c>#{j : b_j &lt; w}</c> for every weight against a short sorted breakpoint list (≤ 255 entries).
/// <para>
/// <c>torch.bucketize</c> does a scalar binary search per element and is the slowest step by far. Here a range of
/// weight values is cut into M equal cells (a <see cref="Grid"/>); a host-side table gives, for each cell, a count
/// that is a lower bound for every weight that can land in the cell, and the largest shortfall R over all cells.
/// Each weight then takes its cell's lower bound and R branch-free correction steps <c>c += (w &gt; b[c])</c> (b padded
/// with +∞). Cells are widened by a quarter cell on each side, far more than the float error of the cell index, so
/// the result is exact; the comparisons use <see cref="LowerEnvelope.ForFloat32"/> breakpoints for float32 weights.
/// When the breakpoints crowd into one cell (R &gt; 8) a grid fitted to them is tried, then <c>torch.bucketize</c>.
/// </para>
/// <para>
/// One tensor's searches (the nearest centroids, the ECQ envelope, the ECQx envelope without the zero cluster) share
/// one grid over the weights' range (<see cref="Over"/>), so the cell index — four passes over the weights — is
/// computed once per tensor, not once per search.
/// </para>
/// </summary>
internal sealed class BreakpointSearch : IDisposable
{
    private const int MaxCorrections = 8;
    /// <summary>Cells of the grid shared by one tensor's searches.</summary>
    internal const int SharedCells = 8192;

    private readonly Tensor _flat;
    private readonly double _wMin, _wMax;
    private readonly ScalarType _work;
    private readonly Device _device;
    private readonly Grid? _grid;

    private BreakpointSearch(Tensor flat, double wMin, double wMax, ScalarType work, Device device)
    {
        (_flat, _wMin, _wMax, _work, _device) = (flat, wMin, wMax, work, device);
        if (wMax > wMin) _grid = Grid.TryCreate(flat, wMin, wMax, SharedCells, work);
    }

    /// <summary>
    /// A search over <paramref name="flat"/> (flat weights in the work dtype <paramref name="work"/>, with min
    /// <paramref name="wMin"/> and max <paramref name="wMax"/>) whose cell grid spans the weights' range and serves every
    /// <see cref="CountBelow(double[])"/> of them. Borrows <paramref name="flat"/>; owns the cell index (dispose it).
    /// </summary>
    public static BreakpointSearch Over(Tensor flat, double wMin, double wMax, ScalarType work, Device device) =>
        new(flat, wMin, wMax, work, device);

    /// <summary>Counts (int32, flat) of <paramref name="breaks"/> (ascending, double) strictly below each weight.</summary>
    public Tensor CountBelow(double[] breaks)
    {
        if (breaks.Length == 0) return torch.zeros(_flat.numel(), ScalarType.Int32, _device);
        return _grid?.TryCount(breaks) ?? Count(_flat, breaks, _wMin, _wMax, _work, _device);
    }

    /// <summary>Frees the shared cell index.</summary>
    public void Dispose() => _grid?.Dispose();

    /// <summary>Counts (int32, flat) of breakpoints strictly below each weight, with a grid fitted to the breakpoints.</summary>
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
            return torch.full(n, NumberBelow(breaks, wMin), ScalarType.Int32, device);

        // The cells only need to resolve the part of the weight range that holds breakpoints; weights beyond it
        // are clamped into the edge cells, whose lower bound and shortfall cover them (count 0 below b_0, m above b_{m−1}).
        double lo = Math.Max(wMin, breaks[0]), hi = Math.Min(wMax, breaks[^1]);
        if (!(hi > lo)) (lo, hi) = (wMin, wMax);
        using var grid = Grid.TryCreate(flat, lo, hi, Math.Clamp(32 * (m + 1), 256, 8192), work);
        if (grid?.TryCount(breaks) is Tensor count) return count;
        using var b = Codebook.BreaksTensor(breaks, work, device);
        return torch.bucketize(flat, b, true);
    }

    /// <summary>
    /// M equal cells over [lo, hi] and the cell of every weight (int32; weights outside are clamped into the edge
    /// cells, which reach to ±∞). Borrows the weights; owns the cell index.
    /// </summary>
    private sealed class Grid : IDisposable
    {
        private readonly Tensor _flat, _cell;
        private readonly double _lo, _h;
        private readonly int _cells;
        private readonly ScalarType _work;

        /// <summary>
        /// The grid, or null when [lo, hi] is too narrow for it: the inverse cell width must be finite in the work dtype
        /// (weights a few subnormal steps apart would make every cell index NaN).
        /// </summary>
        public static Grid? TryCreate(Tensor flat, double lo, double hi, int cells, ScalarType work)
        {
            // The grid origin must be exact in the work dtype, or its rounding would shift every cell index.
            if (work != ScalarType.Float64) lo = LowerEnvelope.ForFloat32(new[] { lo })[0];
            double h = (hi - lo) / cells, invH = 1.0 / h;
            bool usable = h > 0 && double.IsFinite(invH) && (work == ScalarType.Float64 || invH * cells < float.MaxValue);
            return usable ? new Grid(flat, lo, h, cells, work) : null;
        }

        private Grid(Tensor flat, double lo, double h, int cells, ScalarType work)
        {
            (_flat, _lo, _h, _cells, _work) = (flat, lo, h, cells, work);
            // Temporaries are freed as soon as they are used: a freed block of the same size is reused by the next
            // allocation, whereas holding them all to the end makes every call fault in fresh pages.
            // Explicit scalars, alive until the calls return (see RelevanceCorrection's evaluation loop for why).
            double invH = 1.0 / _h;
            bool wide = work == ScalarType.Float64;
            using var origin = wide ? lo.ToScalar() : ((float)lo).ToScalar();
            using var scale = wide ? invH.ToScalar() : ((float)invH).ToScalar();
            using var first = wide ? 0.0.ToScalar() : 0f.ToScalar();
            using var last = wide ? (cells - 1.0).ToScalar() : (cells - 1f).ToScalar();
            using var u = flat.sub(origin);
            u.mul_(scale).clamp_(first, last);
            _cell = u.to_type(ScalarType.Int32);
        }

        /// <summary>The counts for <paramref name="breaks"/> (non-empty, ascending), or null when they crowd a cell (R &gt; 8).</summary>
        public Tensor? TryCount(double[] breaks)
        {
            var start = new int[_cells];
            int r = 0;
            for (int g = 0; g < _cells; g++)
            {
                double cellLo = g == 0 ? double.NegativeInfinity : _lo + g * _h - 0.25 * _h;
                double cellHi = g == _cells - 1 ? double.PositiveInfinity : _lo + (g + 1) * _h + 0.25 * _h;
                start[g] = NumberBelow(breaks, cellLo);
                r = Math.Max(r, NumberAtOrBelow(breaks, cellHi) - start[g]);
            }
            if (r > MaxCorrections) return null;

            Tensor count;
            using (var startT = torch.tensor(start, device: _flat.device))
                count = startT.index_select(0, _cell);
            if (r > 0)
            {
                using var b = Codebook.BreaksTensor(Pad(breaks), _work, _flat.device);
                using var one = 1.ToScalar();
                for (int i = 0; i < r; i++)
                {
                    using var next = b.index_select(0, count);
                    using var above = _flat.gt(next);
                    count.add_(above, one);
                }
            }
            return count;
        }

        public void Dispose() => _cell.Dispose();
    }

    private static double[] Pad(double[] breaks)
    {
        var p = new double[breaks.Length + 1];
        Array.Copy(breaks, p, breaks.Length);
        p[^1] = double.PositiveInfinity;
        return p;
    }

    /// <summary>#{b &lt; x} for ascending b.</summary>
    internal static int NumberBelow(double[] b, double x)
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
    private static int NumberAtOrBelow(double[] b, double x)
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
