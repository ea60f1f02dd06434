using Plotly.NET;

namespace ECQx.Plots;

public static partial class Figures
{
    /// <summary>
    /// Weight relevance (y) against weight magnitude |w| (x), one marker colour per group (e.g. "kept by both",
    /// "zeroed by ECQ, kept by ECQx"). A group with more than <paramref name="maxPointsPerGroup"/> weights is thinned
    /// to an evenly spaced subset (every k-th weight, deterministic); the legend gives the full count. If relevance
    /// simply followed magnitude, the points would lie on a rising curve: the spread shows what relevance adds.
    /// </summary>
    public static GenericChart RelevanceVsMagnitude(IReadOnlyList<double> absWeights, IReadOnlyList<double> relevance,
        IReadOnlyList<string>? groups = null, string? title = "Relevance vs |w|", int maxPointsPerGroup = 3000, bool logAxes = false)
    {
        ArgumentNullException.ThrowIfNull(absWeights);
        ArgumentNullException.ThrowIfNull(relevance);
        if (absWeights.Count == 0) throw new ArgumentException("No weights to plot.", nameof(absWeights));
        if (relevance.Count != absWeights.Count) throw new ArgumentException($"{relevance.Count} relevances for {absWeights.Count} weights.", nameof(relevance));
        if (groups is not null && groups.Count != absWeights.Count) throw new ArgumentException($"{groups.Count} group labels for {absWeights.Count} weights.", nameof(groups));
        if (maxPointsPerGroup < 1) throw new ArgumentOutOfRangeException(nameof(maxPointsPerGroup), maxPointsPerGroup, "need at least 1 point per group");
        FigureParts.RequireAllFinite(absWeights, "|w|");
        FigureParts.RequireAllFinite(relevance, "Relevance");
        var labels = groups ?? Enumerable.Repeat("weights", absWeights.Count).ToArray();
        var traces = new List<Trace>();
        var names = FigureParts.InOrder(labels);
        for (int g = 0; g < names.Count; g++)
        {
            var idx = Enumerable.Range(0, labels.Count).Where(i => labels[i] == names[g]).ToList();
            int stride = (idx.Count + maxPointsPerGroup - 1) / maxPointsPerGroup;
            var shown = idx.Where((_, j) => j % stride == 0).ToList();
            string name = $"{names[g]} (n = {idx.Count}" + (stride > 1 ? $", 1 in {stride} shown)" : ")");
            var trace = FigureParts.Scatter(name, shown.Select(i => absWeights[i]).ToArray(), shown.Select(i => relevance[i]).ToArray(), "markers");
            trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(g), ["size"] = 4, ["opacity"] = 0.6 });
            traces.Add(trace);
        }
        Layout layout = FigureParts.NewLayout(title, 450);
        layout.SetProperty("xaxis", FigureParts.Axis("|w|", logAxes ? "log" : null));
        layout.SetProperty("yaxis", FigureParts.Axis("relevance (normalised)", logAxes ? "log" : null));
        return FigureParts.Assemble(traces, layout);
    }

    /// <summary>
    /// Two distributions over the same weight bins, as shares in %: how many weights fall in each bin, and how much of
    /// the layer's total |relevance| they carry. Where the relevance bars rise above the count bars, the weights matter
    /// more than their number suggests; the codebook's centroids are dashed lines.
    /// </summary>
    public static GenericChart RelevanceWeightedHistogram(ReadOnlySpan<double> weights, ReadOnlySpan<double> relevance, ReadOnlySpan<double> codebook,
        int bins = 121, string? title = "Weights and their relevance")
    {
        if (relevance.Length != weights.Length) throw new ArgumentException($"{relevance.Length} relevances for {weights.Length} weights.", nameof(relevance));
        var absRel = new double[relevance.Length];
        for (int i = 0; i < relevance.Length; i++)
        {
            if (!double.IsFinite(relevance[i])) throw new ArgumentException($"Relevance #{i} is {relevance[i]}; plots need finite numbers.", nameof(relevance));
            absRel[i] = Math.Abs(relevance[i]);
        }
        var centroids = codebook.ToArray();
        WeightBins range = WeightBins.Compute(weights, centroids, bins);
        var (countShare, relevanceShare) = RelevanceShares(weights, absRel, range);
        var count = FigureParts.BinBars("share of weights (%)", range, countShare, 0, opacity: 0.55);
        var rel = FigureParts.BinBars("share of |relevance| (%)", range, relevanceShare, 1, opacity: 0.55);
        Layout layout = FigureParts.NewLayout(title, 420);
        layout.SetProperty("xaxis", FigureParts.Axis("weight value"));
        layout.SetProperty("yaxis", FigureParts.Axis("share (%)"));
        layout.SetProperty("barmode", "overlay");
        layout.SetProperty("bargap", 0);
        layout.SetProperty("shapes", FigureParts.CentroidLines(centroids));
        return FigureParts.Assemble(new Trace[] { count, rel }, layout);
    }

    /// <summary>Per bin, the share (%) of the weights and of the total |relevance| (all zero when the relevance is all zero).</summary>
    internal static (double[] Count, double[] Relevance) RelevanceShares(ReadOnlySpan<double> weights, ReadOnlySpan<double> absRelevance, WeightBins range)
    {
        var counts = WeightBins.CountInto(weights, range);
        var rel = WeightBins.CountInto(weights, range, absRelevance);
        double n = counts.Sum(), total = rel.Sum();
        return (counts.Select(c => 100 * c / n).ToArray(), rel.Select(r => total > 0 ? 100 * r / total : 0).ToArray());
    }

    /// <summary>
    /// A few input images (top row) and their input relevance maps (bottom row, red = evidence for the explained
    /// class, blue = against, one symmetric scale per map). <paramref name="images"/>[n] is channels × height × width
    /// (flattened, values in [0, 1], 1 or 3 channels); <paramref name="relevance"/>[n] is height × width (flattened).
    /// </summary>
    public static GenericChart ImageRelevanceMaps(IReadOnlyList<float[]> images, IReadOnlyList<float[]> relevance, int height, int width,
        IReadOnlyList<string> captions, string? title = "Input relevance")
    {
        ArgumentNullException.ThrowIfNull(relevance);
        return ImagePanels(images, relevance, height, width, captions, title);
    }

    /// <summary>A row of images with captions (channels × height × width, flattened, values in [0, 1], 1 or 3 channels).</summary>
    public static GenericChart ImageGrid(IReadOnlyList<float[]> images, int height, int width, IReadOnlyList<string> captions, string? title = "Images") =>
        ImagePanels(images, null, height, width, captions, title);

    private static GenericChart ImagePanels(IReadOnlyList<float[]> images, IReadOnlyList<float[]>? relevance, int height, int width,
        IReadOnlyList<string> captions, string? title)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(captions);
        int n = images.Count;
        if (n == 0) throw new ArgumentException("No images to plot.", nameof(images));
        if ((relevance is not null && relevance.Count != n) || captions.Count != n)
            throw new ArgumentException($"{n} images, {relevance?.Count ?? n} relevance maps and {captions.Count} captions; expected the same count.");
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height}×{width} is not positive.");
        int pixels = height * width;
        var traces = new List<Trace>();
        var layout = FigureParts.NewLayout(title, relevance is null ? 300 : 200 + 170 * 2);
        double gap = 0.02, cell = (1.0 - gap * (n - 1)) / n;
        var annotations = new List<object>();
        for (int i = 0; i < n; i++)
        {
            if (images[i].Length is var len && len != pixels && len != 3 * pixels)
                throw new ArgumentException($"Image #{i} has {len} values; expected {pixels} (grey) or {3 * pixels} (RGB) for {height}×{width}.", nameof(images));
            if (relevance is not null && relevance[i].Length != pixels) throw new ArgumentException($"Relevance map #{i} has {relevance[i].Length} values; expected {pixels}.", nameof(relevance));
            int channels = images[i].Length / pixels;
            var rgb = new int[height][][];
            for (int y = 0; y < height; y++)
            {
                rgb[y] = new int[width][];
                for (int x = 0; x < width; x++)
                {
                    rgb[y][x] = new int[3];
                    for (int c = 0; c < 3; c++)
                    {
                        float v = images[i][(channels == 3 ? c : 0) * pixels + y * width + x];
                        if (!float.IsFinite(v)) throw new ArgumentException($"Image #{i} pixel ({y}, {x}) is {v}.", nameof(images));
                        rgb[y][x][c] = (int)Math.Round(255 * Math.Clamp(v, 0f, 1f));
                    }
                }
            }
            string ax = i == 0 ? "" : (2 * i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string ax2 = (2 * i + 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var image = new Trace2D("image");
            image.SetProperty("z", rgb);
            image.SetProperty("name", captions[i]);
            image.SetProperty("xaxis", "x" + ax);
            image.SetProperty("yaxis", "y" + ax);
            traces.Add(image);

            if (relevance is not null)
            {
                var map = new double[height][];
                double absMax = 0;
                for (int y = 0; y < height; y++)
                {
                    map[y] = new double[width];
                    for (int x = 0; x < width; x++)
                    {
                        double r = relevance[i][y * width + x];
                        if (!double.IsFinite(r)) throw new ArgumentException($"Relevance map #{i} at ({y}, {x}) is {r}.", nameof(relevance));
                        map[y][x] = r;
                        absMax = Math.Max(absMax, Math.Abs(r));
                    }
                }
                var heat = new Trace2D("heatmap");
                heat.SetProperty("z", map);
                heat.SetProperty("name", "relevance: " + captions[i]);
                // Zero-centred per map (white = 0), red = positive (for the explained class), blue = negative.
                FigureParts.SetDivergingScale(heat, absMax);
                heat.SetProperty("showscale", i == n - 1);
                if (i == n - 1)
                    heat.SetProperty("colorbar", new Dictionary<string, object>
                    {
                        ["title"] = new Dictionary<string, object> { ["text"] = "relevance<br>(each map<br>to its max |R|)" },
                        ["tickvals"] = new[] { -Math.Max(absMax, 1e-30), 0, Math.Max(absMax, 1e-30) }, ["ticktext"] = new[] { "− against", "0", "+ for the class" }, ["len"] = 0.46, ["y"] = 0.23,
                    });
                heat.SetProperty("xaxis", "x" + ax2);
                heat.SetProperty("yaxis", "y" + ax2);
                traces.Add(heat);
            }

            double x0 = i * (cell + gap), x1 = x0 + cell;
            var rows = relevance is null ? new[] { ("" + ax, 0.0, 1.0) } : new[] { ("" + ax, 0.52, 1.0), (ax2, 0.0, 0.46) };
            foreach (var (name, lo, hi) in rows)
            {
                layout.SetProperty("xaxis" + name, new Dictionary<string, object> { ["domain"] = new[] { x0, x1 }, ["visible"] = false, ["anchor"] = "y" + name });
                layout.SetProperty("yaxis" + name, new Dictionary<string, object>
                {
                    ["domain"] = new[] { lo, hi }, ["visible"] = false, ["anchor"] = "x" + name, ["autorange"] = "reversed", ["scaleanchor"] = "x" + name,
                });
            }
            annotations.Add(new Dictionary<string, object>
            {
                ["text"] = System.Net.WebUtility.HtmlEncode(captions[i]), ["x"] = (x0 + x1) / 2, ["y"] = 1.0, ["xref"] = "paper", ["yref"] = "paper",
                ["xanchor"] = "center", ["yanchor"] = "bottom", ["showarrow"] = false, ["font"] = new Dictionary<string, object> { ["size"] = 11 },
            });
        }
        layout.SetProperty("annotations", annotations.ToArray());
        layout.SetProperty("showlegend", false);
        layout.SetProperty("margin", new Dictionary<string, object> { ["t"] = 90 });
        return FigureParts.Assemble(traces, layout);
    }
}
