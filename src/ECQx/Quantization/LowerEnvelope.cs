namespace ECQx.Quantization;

/// <summary>
/// The argmin over clusters of <c>(c_k − w)² + a_k</c> as a function of the scalar w.
/// <para>
/// Expanding, <c>(c_k − w)² + a_k = w² + (c_k² + a_k) − 2c_k·w</c>: up to the common <c>w²</c> each cluster is a
/// line in w with slope <c>−2c_k</c>. With centroids ascending the slopes descend, so the minimising cluster is a
/// non-decreasing step function of w: the lower envelope of the lines. It has at most K pieces, and assigning a
/// weight is a binary search of its value among the breakpoints (<c>torch.bucketize</c>) — exact, and
/// O(n log K) instead of the O(nK) cost matrix.
/// </para>
/// <para>
/// Ties go to the lower cluster index (as <c>torch.argmin</c> does): a weight exactly on a breakpoint belongs to
/// the piece on its left, and a line that is optimal only at a single point is dropped.
/// </para>
/// </summary>
internal static class LowerEnvelope
{
    /// <summary>
    /// Builds the envelope over the candidate clusters (ascending indices into <paramref name="centroids"/>).
    /// Returns the cluster of each piece and the breakpoints between consecutive pieces (one fewer), ascending.
    /// Piece <c>j</c> covers <c>(breaks[j−1], breaks[j]]</c>.
    /// </summary>
    public static (int[] Clusters, double[] Breaks) Build(IReadOnlyList<double> centroids, IReadOnlyList<double> offsets, IReadOnlyList<int> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("The envelope needs at least one candidate cluster.", nameof(candidates));
        var lines = new List<int>(candidates.Count);
        var starts = new List<double>(candidates.Count); // starts[j] = breakpoint where lines[j] becomes optimal
        foreach (int k in candidates)
        {
            double start = double.NegativeInfinity;
            while (lines.Count > 0)
            {
                int top = lines[^1];
                double x = Crossing(centroids[top], offsets[top], centroids[k], offsets[k]);
                if (lines.Count >= 2 && x <= starts[^1])
                {
                    // `top` would be optimal on (starts[^1], x], which is empty (or one tie point that the lower
                    // index wins): drop it.
                    lines.RemoveAt(lines.Count - 1);
                    starts.RemoveAt(starts.Count - 1);
                    continue;
                }
                start = x;
                break;
            }
            lines.Add(k);
            starts.Add(start);
        }
        return (lines.ToArray(), starts.Skip(1).ToArray());
    }

    /// <summary>The w where clusters j &lt; k cost the same: <c>(c_j + c_k)/2 + (a_k − a_j)/(2(c_k − c_j))</c>.</summary>
    private static double Crossing(double cj, double aj, double ck, double ak)
    {
        double mid = 0.5 * (cj + ck);
        return ak == aj ? mid : mid + (ak - aj) / (2 * (ck - cj));
    }

    /// <summary>
    /// Breakpoints for comparing float32 weights: the largest float32 ≤ each double breakpoint x. For a float32
    /// w, <c>x &lt; w ⇔ f &lt; w</c>, so bucketizing in float32 gives exactly the double-precision pieces.
    /// </summary>
    public static float[] ForFloat32(double[] breaks)
    {
        var f = new float[breaks.Length];
        for (int i = 0; i < f.Length; i++)
        {
            float v = (float)breaks[i];
            if ((double)v > breaks[i]) v = MathF.BitDecrement(v);
            f[i] = v;
        }
        return f;
    }
}
