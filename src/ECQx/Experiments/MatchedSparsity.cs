using ECQx.Results;

namespace ECQx.Experiments;

/// <summary>
/// Compares two methods at matched sparsity. A sweep over Λ gives each method a curve of accuracy against sparsity
/// per bit width, but the two methods reach different sparsities at the same Λ; comparing runs with equal Λ mixes a
/// difference in sparsity with a difference in accuracy. Here each curve is read by piecewise-linear interpolation
/// at the same sparsities: every measured sparsity of either method inside the range both curves cover.
/// </summary>
public static class MatchedSparsity
{
    /// <summary>
    /// The accuracy of the piecewise-linear curve through <paramref name="points"/> at <paramref name="sparsityPercent"/>,
    /// or null outside the measured range (no extrapolation). Points at the same sparsity are averaged first.
    /// </summary>
    public static double? Interpolate(IEnumerable<(double SparsityPercent, double AccuracyPercent)> points, double sparsityPercent)
    {
        var curve = Curve(points);
        return At(curve, sparsityPercent);
    }

    /// <summary>
    /// For every bit width that both <paramref name="methodA"/> and <paramref name="methodB"/> have results for: both
    /// accuracies at each measured sparsity (of either method) inside the overlap of their sparsity ranges, in
    /// ascending bit width and sparsity. Bit widths whose ranges do not overlap give no points.
    /// </summary>
    public static IReadOnlyList<MatchedSparsityPoint> Compare(IEnumerable<QuantizationResult> results, string methodA = "ECQ", string methodB = "ECQx")
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        var points = new List<MatchedSparsityPoint>();
        foreach (int bits in list.Select(r => r.BitWidth).Distinct().Order())
        {
            var a = Curve(list.Where(r => r.Method == methodA && r.BitWidth == bits).Select(r => (r.SparsityPercent, r.AccuracyPercent)));
            var b = Curve(list.Where(r => r.Method == methodB && r.BitWidth == bits).Select(r => (r.SparsityPercent, r.AccuracyPercent)));
            if (a.Count == 0 || b.Count == 0) continue;
            double lo = Math.Max(a[0].X, b[0].X), hi = Math.Min(a[^1].X, b[^1].X);
            if (lo > hi) continue;
            foreach (double s in a.Select(p => p.X).Concat(b.Select(p => p.X)).Where(s => s >= lo && s <= hi).Distinct().Order())
                points.Add(new MatchedSparsityPoint(bits, s, At(a, s)!.Value, At(b, s)!.Value));
        }
        return points;
    }

    /// <summary>Sorted by x, equal x averaged; NaN or infinite values are an error naming the point.</summary>
    private static List<(double X, double Y)> Curve(IEnumerable<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points.ToList();
        for (int i = 0; i < list.Count; i++)
            if (!double.IsFinite(list[i].X) || !double.IsFinite(list[i].Y))
                throw new ArgumentException($"point #{i} (sparsity {list[i].X}, accuracy {list[i].Y}) is not finite");
        return list.GroupBy(p => p.X).Select(g => (g.Key, g.Average(p => p.Y))).OrderBy(p => p.Key).ToList();
    }

    private static double? At(List<(double X, double Y)> curve, double x)
    {
        if (curve.Count == 0 || x < curve[0].X || x > curve[^1].X) return null;
        for (int i = 0; i < curve.Count; i++)
        {
            if (curve[i].X == x) return curve[i].Y;
            if (curve[i].X > x)
            {
                var (x0, y0) = curve[i - 1];
                var (x1, y1) = curve[i];
                return y0 + (x - x0) / (x1 - x0) * (y1 - y0);
            }
        }
        return null;
    }
}
