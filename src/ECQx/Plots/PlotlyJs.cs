using System.Reflection;
using Plotly.NET;

namespace ECQx.Plots;

/// <summary>
/// The plotly.js library that ships inside the Plotly.NET assembly (an embedded resource), so pages and
/// notebook outputs can carry the whole library inline and render without a network connection.
/// </summary>
public static class PlotlyJs
{
    private static readonly Lazy<(string Version, string Source)> Embedded = new(LoadEmbedded);

    /// <summary>The plotly.js version embedded in Plotly.NET (for example <c>2.28.0</c>).</summary>
    public static string Version => Embedded.Value.Version;

    /// <summary>The minified plotly.js source (about 3.6 MB), including its licence header.</summary>
    public static string Source => Embedded.Value.Source;

    /// <summary>
    /// A <c>&lt;script&gt;</c> element that defines <c>window.Plotly</c> from the inline source. The source
    /// runs with <c>define</c>, <c>module</c> and <c>exports</c> hidden, so a page that has an AMD loader
    /// (classic Jupyter has require.js) still gets the global, and it is skipped when the page already
    /// has plotly.js.
    /// </summary>
    public static string InlineScriptElement() =>
        "<script type=\"text/javascript\">if (typeof window.Plotly === 'undefined') { (function (define, module, exports) {\n"
        + Source
        + "\n}).call(window); }</script>";

    private static (string, string) LoadEmbedded()
    {
        Assembly assembly = typeof(GenericChart).Assembly;
        string? name = assembly.GetManifestResourceNames()
            .FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        if (name is null)
            throw new InvalidOperationException(
                $"The Plotly.NET assembly ({assembly.GetName().Name} {assembly.GetName().Version}) has no embedded plotly-*.min.js resource; " +
                "offline charts need the Plotly.NET version pinned in Directory.Packages.props.");
        using Stream stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        string source = reader.ReadToEnd();
        if (source.Contains("</script", StringComparison.OrdinalIgnoreCase))
            source = source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
        string version = name["Plotly.NET.plotly-".Length..^".min.js".Length];
        return (version, source);
    }
}
