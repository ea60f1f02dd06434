using System.Text.Json.Nodes;
using ECQx.Notebooks.Nbformat;
using ECQx.Plots;
using PuppeteerSharp;

namespace ECQx.Notebooks;

/// <summary>
/// Renders plotly figures to PNG offline, in one headless Chromium kept for the whole process (started on the first
/// chart, stopped by its process id when the process exits), with the plotly.js that ships inside Plotly.NET loaded
/// once into one page: each chart is one <c>Plotly.toImage</c> call there. Notebook chart outputs carry the PNG
/// beside their plotly JSON and HTML, so they also show on GitHub, nbviewer and in PDF exports.
/// <para>
/// Chromium is looked up at <c>ECQX_CHROMIUM</c> (an executable path), then the usual system locations. When it is
/// absent or fails to start, charts get no PNG, and the first chart says so once on stderr; nothing else changes.
/// </para>
/// </summary>
public sealed class ChartPngRenderer : IDisposable
{
    /// <summary>Width used when the figure's layout gives none, in CSS pixels.</summary>
    public const int DefaultWidth = 900;

    /// <summary>Height used when the figure's layout gives none, in CSS pixels.</summary>
    public const int DefaultHeight = 500;

    /// <summary>Environment variable naming the Chromium (or Chrome/Edge) executable to use.</summary>
    public const string ExecutableVariable = "ECQX_CHROMIUM";

    private static readonly Lazy<ChartPngRenderer> SharedInstance = new(() =>
    {
        var renderer = new ChartPngRenderer(FindChromium());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => renderer.Dispose();
        return renderer;
    });

    private static readonly string[] ChromiumArguments =
    {
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string? _executable;
    private string? _profile;
    private IBrowser? _browser;
    private IPage? _page;
    private bool _noteWritten, _disposed;

    /// <summary>Creates a renderer that will start <paramref name="chromiumExecutable"/> on first use (null: never renders).</summary>
    public ChartPngRenderer(string? chromiumExecutable)
    {
        _executable = chromiumExecutable;
        UnavailableReason = chromiumExecutable is null
            ? $"no Chromium found (set {ExecutableVariable} or install chromium, e.g. apt-get install chromium); charts carry no image/png"
            : null;
    }

    /// <summary>The renderer every notebook run of this process shares.</summary>
    public static ChartPngRenderer Shared => SharedInstance.Value;

    /// <summary>Why charts get no PNG, or null while rendering works.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>
    /// Adds <c>image/png</c> (base64) to <paramref name="bundle"/> when it carries a plotly figure and rendering works;
    /// otherwise returns the bundle unchanged (writing the reason to stderr once).
    /// </summary>
    public MimeBundle AddPng(MimeBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.GetJson("application/vnd.plotly.v1+json") is not JsonObject figure) return bundle;
        byte[]? png = TryRender(figure);
        if (png is not null) return bundle.SetText("image/png", Convert.ToBase64String(png));
        if (!_noteWritten && UnavailableReason is not null)
        {
            _noteWritten = true;
            Console.Error.WriteLine($"note: {UnavailableReason}");
        }
        return bundle;
    }

    /// <summary>
    /// The figure as PNG bytes at the layout's width and height (or <see cref="DefaultWidth"/> × <see cref="DefaultHeight"/>),
    /// or null when Chromium is unavailable (see <see cref="UnavailableReason"/>).
    /// </summary>
    public byte[]? TryRender(JsonObject figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        if (UnavailableReason is not null || _disposed) return null;
        var (width, height) = SizeOf(figure);
        _gate.Wait();
        try
        {
            var page = EnsurePage();
            string dataUrl = page.EvaluateFunctionAsync<string>(
                "(text, w, h) => { const f = JSON.parse(text); return Plotly.toImage({ data: f.data, layout: f.layout, config: f.config || {} }, { format: 'png', width: w, height: h }); }",
                figure.ToJsonString(), width, height).GetAwaiter().GetResult();
            const string prefix = "data:image/png;base64,";
            if (!dataUrl.StartsWith(prefix, StringComparison.Ordinal))
                throw new InvalidOperationException($"Plotly.toImage returned '{dataUrl[..Math.Min(40, dataUrl.Length)]}…' instead of a PNG data URL");
            return Convert.FromBase64String(dataUrl[prefix.Length..]);
        }
        catch (Exception e) when (e is PuppeteerException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            UnavailableReason = $"rendering charts to PNG with {_executable} failed ({e.GetType().Name}: {e.Message.Split('\n')[0]}); charts carry no image/png";
            StopBrowser();
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Width and height from the figure's layout, or the defaults.</summary>
    internal static (int Width, int Height) SizeOf(JsonObject figure)
    {
        static int? Read(JsonNode? n) => n is JsonValue v && v.TryGetValue(out double d) && d >= 10 && d <= 10_000 ? (int)d : null;
        var layout = figure["layout"];
        return (Read(layout?["width"]) ?? DefaultWidth, Read(layout?["height"]) ?? DefaultHeight);
    }

    /// <summary>The executable from <see cref="ExecutableVariable"/> or the usual install locations, or null.</summary>
    public static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : null;
        string programFiles = Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles);
        string programFilesX86 = Environment.GetFolderPath(Environment.SpecialFolder.ProgramFilesX86);
        string[] candidates = OperatingSystem.IsWindows()
            ? new[]
            {
                Path.Combine(programFiles, "Google", "Chrome", "Application", "chrome.exe"),
                Path.Combine(programFilesX86, "Google", "Chrome", "Application", "chrome.exe"),
                Path.Combine(programFilesX86, "Microsoft", "Edge", "Application", "msedge.exe"),
                Path.Combine(programFiles, "Microsoft", "Edge", "Application", "msedge.exe"),
            }
            : OperatingSystem.IsMacOS()
                ? new[] { "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium" }
                : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium" };
        return candidates.FirstOrDefault(File.Exists);
    }

    private IPage EnsurePage()
    {
        if (_page is not null) return _page;
        _profile = Directory.CreateTempSubdirectory("ecqx-png-chromium-").FullName;
        _browser = Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = _executable,
            Headless = true,
            UserDataDir = _profile,
            Args = ChromiumArguments,
            Timeout = 60_000,
        }).GetAwaiter().GetResult();
        var page = _browser.NewPageAsync().GetAwaiter().GetResult();
        page.DefaultTimeout = 60_000;
        string html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + PlotlyJs.InlineScriptElement() + "</body></html>";
        page.SetContentAsync(html).GetAwaiter().GetResult();
        if (!page.EvaluateExpressionAsync<bool>("typeof window.Plotly !== 'undefined'").GetAwaiter().GetResult())
            throw new InvalidOperationException("plotly.js did not load in the headless page");
        return _page = page;
    }

    private void StopBrowser()
    {
        var browser = _browser;
        _page = null;
        _browser = null;
        if (browser is not null)
        {
            int? pid = browser.Process?.Id;
            try { browser.CloseAsync().Wait(TimeSpan.FromSeconds(5)); }
            catch (Exception) { /* the process is killed below */ }
            if (pid is int id)
            {
                try { using var p = System.Diagnostics.Process.GetProcessById(id); if (!p.HasExited) p.Kill(entireProcessTree: true); }
                catch (ArgumentException) { /* already gone */ }
                catch (InvalidOperationException) { }
            }
            browser.Dispose();
        }
        if (_profile is not null)
        {
            try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            _profile = null;
        }
    }

    /// <summary>Stops the browser (by its process id) and deletes its temporary profile.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _gate.Wait();
        try { StopBrowser(); }
        finally { _gate.Release(); }
    }
}
