using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ECQx.IO;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Notebooks.Gallery;

/// <summary>One figure of the gallery: which notebook, the chart's title, and the PNG file relative to the gallery folder.</summary>
/// <param name="Notebook">The notebook file name (e.g. <c>00-ecqx-primer.ipynb</c>).</param>
/// <param name="Title">The chart's title.</param>
/// <param name="File">The PNG, relative to the gallery folder, with '/' separators.</param>
/// <param name="Run">What run made it (the notebook's <see cref="Claims.DescribeRun"/>), or null when the notebook recorded none.</param>
/// <param name="Claims">The claims the notebook checked about this figure: those its cell shows after the chart, before the next one.</param>
public sealed record GalleryFigure(string Notebook, string Title, string File, string? Run = null, IReadOnlyList<NotebookClaim>? Claims = null);

/// <summary>
/// The figure gallery (<c>docs/gallery/</c>): the key figures of each notebook's run as PNG files, taken from the
/// <c>image/png</c> of the executed notebook's chart outputs. Which figures are key is listed per notebook in
/// <c>notebooks/expected-figures/&lt;notebook&gt;.json</c>: its <c>gallery</c> array, or all its <c>figures</c> when it has none
/// (titles; <c>*</c> matches any text).
/// </summary>
public static class FigureGallery
{
    /// <summary>The file name of the gallery's index page.</summary>
    public const string IndexFileName = "README.md";

    /// <summary>The gallery titles of an expected-figures list (see the class remarks); bad JSON is an error naming the file.</summary>
    public static IReadOnlyList<string> Titles(string expectedFiguresPath)
    {
        JsonNode? json;
        try { json = JsonNode.Parse(File.ReadAllText(expectedFiguresPath)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{expectedFiguresPath}: not valid JSON ({e.Message})", e); }
        JsonArray? list = json switch
        {
            JsonArray a => a,
            JsonObject o => (o["gallery"] ?? o["figures"]) as JsonArray,
            _ => null,
        };
        if (list is null) throw new InvalidDataException($"{expectedFiguresPath}: expected an array of titles or an object with a 'figures' (or 'gallery') array");
        return list.Select((t, i) => t is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0 ? s
            : throw new InvalidDataException($"{expectedFiguresPath}: entry {i} is not a non-empty string")).ToList();
    }

    /// <summary>
    /// Writes the PNG of every chart of <paramref name="executed"/> whose title matches one of <paramref name="titles"/> to
    /// <c><paramref name="galleryDirectory"/>/&lt;notebook stem&gt;/&lt;slug of the title&gt;.png</c> (atomically), in the
    /// order of <paramref name="titles"/>; a title matching several charts takes the first. Titles without a chart, or
    /// whose chart has no PNG, are returned in <paramref name="missing"/>.
    /// </summary>
    public static IReadOnlyList<GalleryFigure> Extract(NotebookDocument executed, string notebook, IReadOnlyList<string> titles,
        string galleryDirectory, out IReadOnlyList<string> missing)
    {
        ArgumentNullException.ThrowIfNull(executed);
        var charts = ChartsWithClaims(executed);
        string? run = Claims.RunOf(executed);
        string stem = Path.GetFileNameWithoutExtension(notebook);
        var figures = new List<GalleryFigure>();
        var absent = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (string title in titles)
        {
            var pattern = TitlePattern(title);
            var chart = charts.FirstOrDefault(c => pattern.IsMatch(c.Title) && c.Png is not null);
            if (chart.Png is null)
            {
                absent.Add(title);
                continue;
            }
            string slug = Slug(chart.Title);
            for (int k = 2; !used.Add(slug); k++) slug = $"{Slug(chart.Title)}-{k}";
            string relative = $"{stem}/{slug}.png";
            AtomicFile.WriteAllBytes(Path.Combine(galleryDirectory, stem, slug + ".png"), chart.Png);
            figures.Add(new GalleryFigure(notebook, chart.Title, relative, run, chart.Claims));
        }
        missing = absent;
        return figures;
    }

    /// <summary>Writes the index page listing every figure under its notebook (atomically).</summary>
    public static string WriteIndex(string galleryDirectory, IEnumerable<GalleryFigure> figures, string command)
    {
        var sb = new StringBuilder("# Figure gallery\n\n");
        sb.Append("The key figures of each notebook's quick run (`quick=true`), each captioned with the run that made it ")
          .Append("and the claims the notebook checked about it in that run (✓ holds, ✗ does not). Regenerate them with\n\n```bash\n")
          .Append(command).Append("\n```\n");
        foreach (var group in figures.GroupBy(f => f.Notebook))
        {
            sb.Append("\n## ").Append(group.Key).Append("\n\n");
            if (group.First().Run is string run) sb.Append("Run: ").Append(run).Append("\n\n");
            foreach (var f in group)
            {
                sb.Append("![").Append(f.Title.Replace("]", "\\]")).Append("](").Append(f.File).Append(")\n\n*").Append(f.Title).Append("*\n\n");
                foreach (var c in f.Claims ?? [])
                    sb.Append("- ").Append(c.Holds ? "✓ " : "✗ not in this run: ").Append(c.Statement)
                      .Append(c.Evidence.Length > 0 ? " — " + c.Evidence : "").Append('\n');
                if (f.Claims is { Count: > 0 }) sb.Append('\n');
            }
        }
        string path = Path.Combine(galleryDirectory, IndexFileName);
        AtomicFile.WriteAllText(path, sb.ToString());
        return path;
    }

    private static readonly Dictionary<char, string> Spelled = new()
    {
        ['Λ'] = "lambda", ['λ'] = "lambda", ['ρ'] = "rho", ['β'] = "beta", ['α'] = "alpha", ['ε'] = "epsilon", ['γ'] = "gamma", ['Δ'] = "delta",
    };

    /// <summary>
    /// A file name for a title: lower-case ASCII letters and digits, '-' between words, Greek letters spelled out (Λ → lambda),
    /// at most 80 characters.
    /// </summary>
    public static string Slug(string title)
    {
        string spelled = string.Concat((title ?? "").Select(c => Spelled.TryGetValue(c, out var w) ? $" {w} " : c.ToString()));
        string decomposed = spelled.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder();
        foreach (char ch in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark) continue;
            char c = char.ToLowerInvariant(ch);
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        string slug = sb.ToString().Trim('-');
        if (slug.Length > 80) slug = slug[..80].TrimEnd('-');
        return slug.Length == 0 ? "figure" : slug;
    }

    /// <summary>A title with <c>*</c> wildcards as an anchored regular expression.</summary>
    public static Regex TitlePattern(string title) =>
        new("^" + string.Join(".*", title.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant);

    /// <summary>The chart outputs of an executed notebook in order: title and PNG bytes (null when it has no image/png).</summary>
    public static IReadOnlyList<(string Title, byte[]? Png)> Charts(NotebookDocument executed) =>
        ChartsWithClaims(executed).Select(c => (c.Title, c.Png)).ToList();

    /// <summary>
    /// The chart outputs of an executed notebook in order, each with the claims (<see cref="Claims"/>) its cell shows after it and
    /// before the cell's next chart: what the notebook says about that figure.
    /// </summary>
    public static IReadOnlyList<(string Title, byte[]? Png, IReadOnlyList<NotebookClaim> Claims)> ChartsWithClaims(NotebookDocument executed)
    {
        ArgumentNullException.ThrowIfNull(executed);
        var charts = new List<(string, byte[]?, IReadOnlyList<NotebookClaim>)>();
        var claims = Claims.In(executed).ToLookup(c => c.Cell, c => c.Claim);
        int position = 0;
        foreach (var cell in executed.Cells.OfType<JsonObject>())
        {
            position++;
            if (NotebookDocument.TypeOf(cell) != "code" || cell["outputs"] is not JsonArray outputs) continue;
            var cellClaims = new Queue<NotebookClaim>(claims[position]);
            List<NotebookClaim>? current = null;
            foreach (var data in outputs.OfType<JsonObject>().Select(o => o["data"] as JsonObject).OfType<JsonObject>())
            {
                if (data.ContainsKey("application/vnd.plotly.v1+json"))
                {
                    current = [];
                    charts.Add((data["application/vnd.plotly.v1+json"]?["layout"]?["title"]?["text"]?.GetValue<string>() ?? "", Png(data), current));
                }
                else if (data.ContainsKey(Claims.MimeType) && cellClaims.Count > 0)
                {
                    var claim = cellClaims.Dequeue();
                    current?.Add(claim);
                }
            }
        }
        return charts;
    }

    private static byte[]? Png(JsonObject data)
    {
        if (data["image/png"] is not { } node) return null;
        string base64 = node is JsonArray a ? string.Concat(a.Select(l => l?.GetValue<string>())) : node.GetValue<string>();
        try
        {
            byte[] bytes = Convert.FromBase64String(base64.Trim());
            return bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G' ? bytes : null;
        }
        catch (FormatException) { return null; }
    }
}
