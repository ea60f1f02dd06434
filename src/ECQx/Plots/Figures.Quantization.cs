using Plotly.NET;

namespace ECQx.Plots;

public static partial class Figures
{
    /// <summary>
    /// One layer's weight histogram (top panel) with the centroids of several codebooks below it, one row of
    /// diamonds per bit width (e.g. 2, 3, 4 and 5 bit), on the same weight axis: how the grid gets finer with each bit.
    /// </summary>
    public static GenericChart CodebooksOverWeights(ReadOnlySpan<double> weights, IReadOnlyList<(int Bits, double[] Centroids)> codebooks,
        int bins = 121, string? title = "Weights and codebooks", bool logCounts = false)
    {
        ArgumentNullException.ThrowIfNull(codebooks);
        if (codebooks.Count == 0) throw new ArgumentException("No codebooks to draw.", nameof(codebooks));
        WeightBins h = WeightBins.Compute(weights, codebooks.SelectMany(c => c.Centroids).ToArray(), bins);
        var bars = FigureParts.BinBars($"weights (n = {weights.Length})", h, h.Counts, 0);
        var traces = new List<Trace> { bars };
        for (int i = 0; i < codebooks.Count; i++)
        {
            var (b, centroids) = codebooks[i];
            var marks = FigureParts.Scatter($"{b}-bit codebook ({centroids.Length} centroids)", centroids, centroids.Select(_ => (double)b).ToArray(), "markers");
            marks.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(i + 1), ["symbol"] = "diamond", ["size"] = 8 });
            marks.SetProperty("yaxis", "y2");
            traces.Add(marks);
        }
        Layout layout = FigureParts.NewLayout(title, 520);
        layout.SetProperty("xaxis", FigureParts.Axis("weight value"));
        var counts = FigureParts.Axis("count", logCounts ? "log" : null);
        counts["domain"] = new[] { 0.38, 1.0 };
        var rows = FigureParts.Axis("bit width");
        rows["domain"] = new[] { 0.0, 0.3 };
        rows["tickvals"] = codebooks.Select(c => (double)c.Bits).ToArray();
        rows["ticktext"] = codebooks.Select(c => $"{c.Bits} bit").ToArray();
        rows["range"] = new[] { codebooks.Min(c => c.Bits) - 0.7, codebooks.Max(c => c.Bits) + 0.7 };
        layout.SetProperty("yaxis", counts);
        layout.SetProperty("yaxis2", rows);
        layout.SetProperty("bargap", 0);
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// The ECQ assignment cost of §a.4 over a weight range: one line per centroid, <c>(c_k − w)² + λ·I_k</c>, and in
    /// bold their lower envelope, the cost of the centroid a weight is actually assigned to. Centroids with infinite
    /// information (empty clusters, never chosen) are left out. Where the envelope switches lines lie the decision
    /// thresholds; a large λ·I on rare centroids moves them outwards, widening the zero cluster.
    /// </summary>
    public static GenericChart EcqCostCurves(IReadOnlyList<double> centroids, IReadOnlyList<double> information, double effectiveLambda,
        double weightMin, double weightMax, string? title = "ECQ cost per centroid", int points = 241)
    {
        var (w, costs, envelope) = EcqCosts(centroids, information, effectiveLambda, weightMin, weightMax, points);
        var traces = new List<Trace>();
        int colour = 0;
        foreach (var (k, cost) in costs)
        {
            var line = FigureParts.Scatter(FormattableString.Invariant($"c = {centroids[k]:G3}, I = {information[k]:F2} bit"), w, cost, "lines");
            line.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(colour++), ["width"] = 1 });
            traces.Add(line);
        }
        var min = FigureParts.Scatter("assigned cost (minimum)", w, envelope, "lines");
        min.SetProperty("line", new Dictionary<string, object> { ["color"] = "black", ["width"] = 3 });
        traces.Add(min);
        Layout layout = FigureParts.NewLayout(title, 450);
        layout.SetProperty("xaxis", FigureParts.Axis("weight w"));
        var y = FigureParts.Axis("cost (c − w)² + λ·I");
        y["range"] = new[] { 0.0, 1.15 * envelope.Max() };
        layout.SetProperty("yaxis", y);
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>The weights, each drawn centroid's cost line, and the lower envelope of <see cref="EcqCostCurves"/>.</summary>
    internal static (double[] W, List<(int K, double[] Cost)> Costs, double[] Envelope) EcqCosts(IReadOnlyList<double> centroids,
        IReadOnlyList<double> information, double effectiveLambda, double weightMin, double weightMax, int points)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        ArgumentNullException.ThrowIfNull(information);
        if (centroids.Count == 0 || centroids.Count != information.Count)
            throw new ArgumentException($"{centroids.Count} centroids and {information.Count} information values; expected the same, non-zero count.");
        FigureParts.RequireAllFinite(centroids, "Centroid");
        FigureParts.RequireFinite(effectiveLambda, "λ");
        if (effectiveLambda < 0) throw new ArgumentException($"λ is {effectiveLambda}; expected ≥ 0.");
        if (!(weightMax > weightMin) || !double.IsFinite(weightMin) || !double.IsFinite(weightMax))
            throw new ArgumentException($"weight range [{weightMin}, {weightMax}] is empty or not finite.");
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "need at least 2 points");
        var w = Enumerable.Range(0, points).Select(i => weightMin + (weightMax - weightMin) * i / (points - 1)).ToArray();
        var costs = new List<(int, double[])>();
        for (int k = 0; k < centroids.Count; k++)
        {
            if (double.IsNaN(information[k]) || information[k] < 0) throw new ArgumentException($"Information #{k} is {information[k]}; expected ≥ 0 bits.");
            if (double.IsPositiveInfinity(information[k])) continue;
            double c = centroids[k], penalty = effectiveLambda * information[k];
            costs.Add((k, w.Select(x => (c - x) * (c - x) + penalty).ToArray()));
        }
        if (costs.Count == 0) throw new ArgumentException("Every centroid has infinite information; nothing can be assigned.");
        var envelope = w.Select((_, i) => costs.Min(c => c.Item2[i])).ToArray();
        return (w, costs, envelope);
    }

    /// <summary>
    /// Several weight distributions of one layer on the same bins, overlaid (e.g. before and after quantization-aware
    /// training, or the weights two methods disagree on), with the codebook's centroids as dashed lines.
    /// </summary>
    public static GenericChart WeightHistogramOverlay(IReadOnlyList<(string Name, double[] Values)> series, ReadOnlySpan<double> codebook,
        int bins = 121, string? title = "Weight distributions", bool logCounts = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("No series to plot.", nameof(series));
        var all = series.SelectMany(s => s.Values).ToArray();
        var centroids = codebook.ToArray();
        WeightBins range = WeightBins.Compute(all, centroids, bins);
        var traces = new List<Trace>();
        for (int s = 0; s < series.Count; s++)
        {
            if (series[s].Values.Length == 0) continue;
            var counts = WeightBins.CountInto(series[s].Values, range);
            traces.Add(FigureParts.BinBars($"{series[s].Name} (n = {series[s].Values.Length})", range, counts, s, opacity: 0.6));
        }
        Layout layout = FigureParts.NewLayout(title, 420);
        layout.SetProperty("xaxis", FigureParts.Axis("weight value"));
        layout.SetProperty("yaxis", FigureParts.Axis("count", logCounts ? "log" : null));
        layout.SetProperty("barmode", "overlay");
        layout.SetProperty("bargap", 0);
        layout.SetProperty("shapes", FigureParts.CentroidLines(centroids));
        return FigureParts.Assemble(traces, layout);
    }
}
