using Plotly.NET;

namespace ECQx.Plots;

public static partial class Figures
{
    /// <summary>
    /// A waveform against time in seconds. Long signals are drawn as their envelope: the samples are cut into
    /// at most <paramref name="maxPoints"/>/2 consecutive chunks and each chunk contributes its minimum and maximum,
    /// so peaks survive the thinning.
    /// </summary>
    public static GenericChart Waveform(ReadOnlySpan<float> samples, int sampleRate, string? title = "Waveform", int maxPoints = 4000)
    {
        if (samples.IsEmpty) throw new ArgumentException("No samples to plot.", nameof(samples));
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        if (maxPoints < 2) throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "need at least 2 points");
        var (t, y) = WaveformEnvelope(samples, sampleRate, maxPoints);
        var trace = FigureParts.Scatter($"{samples.Length} samples at {sampleRate} Hz", t, y, "lines");
        trace.SetProperty("line", new Dictionary<string, object> { ["color"] = FigureParts.Color(0), ["width"] = 1 });
        Layout layout = FigureParts.NewLayout(title, 320);
        layout.SetProperty("xaxis", FigureParts.Axis("time (s)"));
        layout.SetProperty("yaxis", FigureParts.Axis("amplitude"));
        return FigureParts.Assemble(new Trace[] { trace }, layout);
    }

    /// <summary>The points <see cref="Waveform"/> draws: all samples when they fit, else per chunk its minimum then maximum (in time order).</summary>
    internal static (double[] Time, double[] Value) WaveformEnvelope(ReadOnlySpan<float> samples, int sampleRate, int maxPoints)
    {
        for (int i = 0; i < samples.Length; i++)
            if (!float.IsFinite(samples[i])) throw new ArgumentException($"Sample #{i} is {samples[i]}; plots need finite numbers.", nameof(samples));
        if (samples.Length <= maxPoints)
        {
            var all = new double[samples.Length];
            var ts = new double[samples.Length];
            for (int i = 0; i < samples.Length; i++) { all[i] = samples[i]; ts[i] = (double)i / sampleRate; }
            return (ts, all);
        }
        int chunks = maxPoints / 2, size = (samples.Length + chunks - 1) / chunks;
        var t = new List<double>(2 * chunks);
        var y = new List<double>(2 * chunks);
        for (int start = 0; start < samples.Length; start += size)
        {
            int end = Math.Min(samples.Length, start + size), lo = start, hi = start;
            for (int i = start; i < end; i++)
            {
                if (samples[i] < samples[lo]) lo = i;
                if (samples[i] > samples[hi]) hi = i;
            }
            foreach (int i in lo <= hi ? new[] { lo, hi } : new[] { hi, lo })
            {
                t.Add((double)i / sampleRate);
                y.Add(samples[i]);
            }
        }
        return (t.ToArray(), y.ToArray());
    }

    /// <summary>
    /// A heat map: <paramref name="z"/>[row][column], rows along y (<paramref name="yTitle"/>), columns along x.
    /// With <paramref name="diverging"/> (signed values such as relevance) the colour scale runs from blue (negative) through
    /// white (zero) to red (positive) over a range symmetric around zero, so white is exactly zero; otherwise Viridis.
    /// </summary>
    public static GenericChart Heatmap(IReadOnlyList<IReadOnlyList<double>> z, string xTitle, string yTitle, string? title = null,
        string? colorbarTitle = null, bool diverging = false, IReadOnlyList<string>? xLabels = null, IReadOnlyList<string>? yLabels = null)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.Count == 0 || z[0].Count == 0) throw new ArgumentException("The heat map is empty.", nameof(z));
        int cols = z[0].Count;
        double absMax = 0;
        for (int r = 0; r < z.Count; r++)
        {
            if (z[r].Count != cols) throw new ArgumentException($"Row {r} has {z[r].Count} values; row 0 has {cols}.", nameof(z));
            for (int c = 0; c < cols; c++)
            {
                FigureParts.RequireFinite(z[r][c], $"Heat map value [{r}][{c}]");
                absMax = Math.Max(absMax, Math.Abs(z[r][c]));
            }
        }
        if (xLabels is not null && xLabels.Count != cols) throw new ArgumentException($"{xLabels.Count} x labels for {cols} columns.", nameof(xLabels));
        if (yLabels is not null && yLabels.Count != z.Count) throw new ArgumentException($"{yLabels.Count} y labels for {z.Count} rows.", nameof(yLabels));
        var trace = new Trace2D("heatmap");
        trace.SetProperty("z", z.Select(row => row.ToArray()).ToArray());
        if (xLabels is not null) trace.SetProperty("x", xLabels.ToArray());
        if (yLabels is not null) trace.SetProperty("y", yLabels.ToArray());
        if (diverging) FigureParts.SetDivergingScale(trace, absMax); // zero-centred, red = positive
        else trace.SetProperty("colorscale", "Viridis");
        if (colorbarTitle is not null) trace.SetProperty("colorbar", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = colorbarTitle } });
        Layout layout = FigureParts.NewLayout(title, 380);
        layout.SetProperty("xaxis", FigureParts.Axis(xTitle));
        layout.SetProperty("yaxis", FigureParts.Axis(yTitle));
        return FigureParts.Assemble(new Trace[] { trace }, layout);
    }

    /// <summary>
    /// Grouped bars: one group per category (x, in order of first appearance), one bar colour per series, e.g. class
    /// counts per split or sparsity per layer and method. A category a series does not mention is left empty; the
    /// same category twice in one series is an error.
    /// </summary>
    public static GenericChart GroupedBars(IEnumerable<LayerValue> values, string categoryTitle, string valueTitle, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0) throw new ArgumentException("No values to plot.", nameof(values));
        var seen = new HashSet<(string, string)>();
        for (int i = 0; i < list.Count; i++)
        {
            LayerValue v = list[i] ?? throw new ArgumentException($"Value #{i} is null.", nameof(values));
            if (string.IsNullOrEmpty(v.Layer)) throw new ArgumentException($"Value #{i} has no {categoryTitle} name.", nameof(values));
            FigureParts.RequireFinite(v.Value, $"Value #{i} ({v.Layer}, {v.Series})");
            if (!seen.Add((v.Layer, v.Series)))
                throw new ArgumentException($"{char.ToUpperInvariant(categoryTitle[0])}{categoryTitle[1..]} '{v.Layer}' appears twice in series '{v.Series}' (value #{i}).", nameof(values));
        }
        var categories = FigureParts.InOrder(list.Select(v => v.Layer));
        var series = FigureParts.InOrder(list.Select(v => v.Series));
        var traces = new List<Trace>();
        for (int s = 0; s < series.Count; s++)
        {
            var byCategory = list.Where(v => v.Series == series[s]).ToDictionary(v => v.Layer, v => v.Value);
            var trace = new Trace2D("bar");
            trace.SetProperty("name", series[s]);
            trace.SetProperty("x", categories.ToArray());
            trace.SetProperty("y", categories.Select(l => byCategory.TryGetValue(l, out double y) ? y : (double?)null).ToArray());
            trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureParts.Color(s) });
            traces.Add(trace);
        }
        Layout layout = FigureParts.NewLayout(title, 450);
        var x = FigureParts.Axis(categoryTitle);
        x["tickangle"] = -45;
        layout.SetProperty("xaxis", x);
        layout.SetProperty("yaxis", FigureParts.Axis(valueTitle));
        layout.SetProperty("barmode", "group");
        return FigureParts.Assemble(traces, layout);
    }
}
