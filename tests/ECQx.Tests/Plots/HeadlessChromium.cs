using System.Diagnostics;

namespace ECQx.Tests.Plots;

/// <summary>Renders a local HTML file in headless Chromium (no network) and returns the DOM after scripts ran.</summary>
internal static class HeadlessChromium
{
    internal const string ExecutablePath = "/usr/bin/chromium";

    internal static string DumpDom(string htmlPath, int virtualTimeBudgetMs = 5000)
    {
        string profile = Path.Combine(Path.GetTempPath(), "ecqx-chromium-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile}", $"--virtual-time-budget={virtualTimeBudgetMs}", "--dump-dom",
                     new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
                 })
            psi.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(psi)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string dom = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not finish rendering {htmlPath} within 60 s.");
            }
            if (process.ExitCode != 0 || dom.Length == 0)
                throw new InvalidOperationException($"Chromium exited with {process.ExitCode} rendering {htmlPath}: {stderr.Result}");
            return dom;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
