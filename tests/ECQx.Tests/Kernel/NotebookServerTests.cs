using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using PuppeteerSharp;
using Xunit;
using Xunit.Abstractions;

namespace ECQx.Tests.Kernel;

/// <summary>
/// The documented Jupyter Notebook path (environment.md, notebooks/README.md), step by step, with Debian's
/// <c>jupyter-notebook</c> (a server nobody here wrote): <c>ecqx kernel install --prefix DIR</c>, then
/// <c>jupyter notebook --no-browser</c> in a copy of the notebooks folder (started here, stopped by pid). Through the
/// server's REST API and kernel websocket (<c>notebook_server_client.py</c>): the kernelspec list shows "C# (ECQx)",
/// a session for <c>00-ecqx-primer.ipynb</c> starts the kernel its metadata names, the notebook's first cells and an
/// ECQx + TorchSharp + Plotly cell run, and the server's interrupt stops a running loop. Then headless Chromium
/// opens the notebook page as a user would, finds "C# (ECQx)" under Kernel → Change kernel, and runs cells with
/// the classic notebook's own JavaScript; the cell's output area shows the kernel's output.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class NotebookServerTests(ITestOutputHelper log)
{
    private const string Notebook = "00-ecqx-primer.ipynb";
    private const string Chromium = "/usr/bin/chromium";

    [NotebookServerFact]
    public async Task JupyterNotebookRunsTheNotebookWithTheCSharpEcqxKernel()
    {
        // Step 1: ecqx kernel install --prefix DIR (JUPYTER_PATH then names DIR/share/jupyter).
        string prefix = TestPaths.NewTempDir();
        IReadOnlyList<string> cli = JupyterClients.Launcher();
        var (installExit, installOutput) = JupyterClients.RunProcess(cli[0], [.. cli.Skip(1), "kernel", "install", "--prefix", prefix],
            new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        Assert.True(installExit == 0, $"ecqx kernel install --prefix failed (exit {installExit}):\n{installOutput}");
        string jupyterPath = Path.Combine(prefix, "share", "jupyter");

        // Step 2: jupyter notebook in (a copy of) the notebooks folder.
        string notebooks = Path.Combine(TestPaths.NewTempDir(), "notebooks");
        Directory.CreateDirectory(notebooks);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot(), "notebooks"), "*.ipynb"))
            File.Copy(file, Path.Combine(notebooks, Path.GetFileName(file)));
        string token = Guid.NewGuid().ToString("N");
        int port = FreePort();
        string baseUrl = $"http://127.0.0.1:{port}";
        using var server = StartServer(notebooks, port, token, jupyterPath, out StringBuilder serverLog);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
            await WaitUntilServing(http, baseUrl, server, serverLog);

            // Steps 3-4 over the server's API and websocket: kernelspecs, session, cells, interrupt.
            var (exit, output) = JupyterClients.RunProcess(JupyterClients.Python,
                [Path.Combine(AppContext.BaseDirectory, "Kernel", "notebook_server_client.py"), baseUrl, token, notebooks, Notebook],
                new Dictionary<string, string> { ["PYTHONUNBUFFERED"] = "1" }, TimeSpan.FromMinutes(8));
            log.WriteLine(output);
            Assert.True(exit == 0 && output.Contains("PASS notebook-server", StringComparison.Ordinal), $"the notebook server scenario failed (exit {exit}):\n{output}\nserver log:\n{serverLog}");

            // Step 5 as a user does it: open the notebook page, pick the kernel, run cells.
            string shown = await RunCellsInTheNotebookPage(baseUrl, token);
            log.WriteLine("notebook page output: " + shown);
        }
        finally
        {
            await StopServer(server, baseUrl, token);
            log.WriteLine("server log:\n" + serverLog);
        }
    }

    /// <summary>
    /// Opens <c>/notebooks/00-ecqx-primer.ipynb</c> in headless Chromium, waits for the classic notebook's kernel
    /// (started from the notebook's metadata) to be ready, checks the Change kernel menu offers "C# (ECQx)", picks it,
    /// and runs the parameters cell and a new cell through <c>Jupyter.notebook.execute_cells</c>. Returns the new
    /// cell's output text as the page shows it.
    /// </summary>
    private async Task<string> RunCellsInTheNotebookPage(string baseUrl, string token)
    {
        string profile = TestPaths.NewTempDir();
        await using IBrowser browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            UserDataDir = profile,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            Timeout = 60_000,
        });
        try
        {
            IPage page = await browser.NewPageAsync();
            page.DefaultTimeout = 180_000;
            var console = new List<string>();
            page.Console += (_, e) => { lock (console) console.Add(e.Message.Text); };
            await page.GoToAsync($"{baseUrl}/notebooks/{Notebook}?token={token}", WaitUntilNavigation.Load);
            string Trace() { lock (console) return string.Join("\n", console.TakeLast(30)); }

            try
            {
                await page.WaitForFunctionAsync("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()",
                    new WaitForFunctionOptions { Timeout = 180_000, PollingInterval = 250 });
            }
            catch (WaitTaskTimeoutException)
            {
                Assert.Fail("the notebook page's kernel never connected; browser console:\n" + Trace());
            }
            Assert.Equal("ecqx-csharp", await page.EvaluateExpressionAsync<string>("Jupyter.notebook.kernel.name"));
            Assert.Equal("C# (ECQx)", await page.EvaluateExpressionAsync<string>("Jupyter.notebook.metadata.kernelspec.display_name"));
            // Kernel → Change kernel lists C# (ECQx); choosing it is what a user does for a notebook without our metadata.
            string menu = await page.EvaluateExpressionAsync<string>("document.querySelector('#menu-change-kernel-submenu').innerText");
            Assert.Contains("C# (ECQx)", menu);
            await page.EvaluateExpressionAsync("Jupyter.notebook.kernel_selector.set_kernel('ecqx-csharp')");
            await page.WaitForFunctionAsync("() => Jupyter.notebook.kernel && Jupyter.notebook.kernel.name === 'ecqx-csharp' && Jupyter.notebook.kernel.is_connected()",
                new WaitForFunctionOptions { Timeout = 180_000, PollingInterval = 250 });

            // The first code cell (guard + parameters), then a new cell using its variables and the kernel's display().
            int first = await page.EvaluateExpressionAsync<int>("Jupyter.notebook.get_cells().findIndex(c => c.cell_type === 'code')");
            int added = await page.EvaluateExpressionAsync<int>("""
                (() => {
                  const cell = Jupyter.notebook.insert_cell_at_bottom('code');
                  cell.set_text('Console.WriteLine($"seed {seed}, quick {quick}");\ndisplay(HTML("<b id=\\"ecqx-shown\\">shown by C# (ECQx)</b>"));\n6 * 7');
                  return Jupyter.notebook.get_cells().indexOf(cell);
                })()
                """);
            await page.EvaluateExpressionAsync($"Jupyter.notebook.execute_cells([{first}, {added}])");
            try
            {
                await page.WaitForFunctionAsync(
                    $"() => {{ const c = Jupyter.notebook.get_cell({added}); return c.get_text() && c.input_prompt_number && c.input_prompt_number !== '*' && c.output_area.outputs.length >= 3; }}",
                    new WaitForFunctionOptions { Timeout = 180_000, PollingInterval = 250 });
            }
            catch (WaitTaskTimeoutException)
            {
                string partial = await page.EvaluateExpressionAsync<string>($"JSON.stringify(Jupyter.notebook.get_cell({added}).output_area.outputs)");
                Assert.Fail($"the cell's outputs never arrived in the page: {partial}\nbrowser console:\n{Trace()}");
            }
            string firstOutputs = await page.EvaluateExpressionAsync<string>($"JSON.stringify(Jupyter.notebook.get_cell({first}).output_area.outputs)");
            Assert.DoesNotContain("\"error\"", firstOutputs);
            string text = await page.EvaluateExpressionAsync<string>($"Jupyter.notebook.get_cell({added}).output_area.element[0].innerText");
            Assert.Contains("seed 808, quick False", text);
            Assert.Contains("shown by C# (ECQx)", text);
            Assert.Contains("42", text);
            Assert.Equal("shown by C# (ECQx)", await page.EvaluateExpressionAsync<string>("document.querySelector('#ecqx-shown').textContent"));
            Assert.Equal("ecqx-csharp", await page.EvaluateExpressionAsync<string>("Jupyter.notebook.kernel.name"));
            return text;
        }
        finally
        {
            Process? process = browser.Process;
            await browser.CloseAsync();
            if (process is { HasExited: false }) process.Kill(entireProcessTree: true);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts <c>jupyter notebook</c> as documented (plus <c>--allow-root</c> when the tests run as root), with a private Jupyter config.</summary>
    private static Process StartServer(string notebooks, int port, string token, string jupyterPath, out StringBuilder serverLog)
    {
        var start = new ProcessStartInfo("jupyter")
        {
            WorkingDirectory = notebooks, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string arg in new[] { "notebook", "--no-browser", "--ip=127.0.0.1", $"--port={port}", $"--NotebookApp.token={token}", "--NotebookApp.port_retries=0" })
            start.ArgumentList.Add(arg);
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-root");
        string home = TestPaths.NewTempDir();
        start.Environment["JUPYTER_PATH"] = jupyterPath;
        start.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(home, "config");
        start.Environment["JUPYTER_DATA_DIR"] = Path.Combine(home, "data");
        start.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(home, "runtime");
        start.Environment["IPYTHONDIR"] = Path.Combine(home, "ipython");
        var output = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        serverLog = output;
        return process;
    }

    private static async Task WaitUntilServing(HttpClient http, string baseUrl, Process server, StringBuilder serverLog)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            Assert.False(server.HasExited, $"jupyter notebook exited with {(server.HasExited ? server.ExitCode : 0)}:\n{serverLog}");
            try
            {
                using HttpResponseMessage response = await http.GetAsync($"{baseUrl}/api/status");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(300);
        }
        Assert.Fail($"jupyter notebook did not answer on {baseUrl} within 90 s:\n{serverLog}");
    }

    /// <summary>Asks the server to shut down (it stops its kernels), then ends its process tree by pid if it is still there.</summary>
    private static async Task StopServer(Process server, string baseUrl, string token)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
            await http.PostAsync($"{baseUrl}/api/shutdown", null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
        }
        if (!server.WaitForExit(20_000)) server.Kill(entireProcessTree: true);
        server.WaitForExit();
    }
}

/// <summary>A fact that needs Debian's <c>jupyter-notebook</c> (and the Jupyter client packages, and Chromium); skipped with the reason without them.</summary>
public sealed class NotebookServerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (JupyterClients.MissingReason is { } reason) return reason;
        if (!File.Exists("/usr/bin/chromium")) return "chromium is not installed (apt-get install chromium)";
        var (exit, output) = JupyterClients.RunProcess("/bin/sh", ["-c", "command -v jupyter && jupyter notebook --version && " + JupyterClients.Python + " -c 'import notebook, tornado.websocket'"],
            new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        return exit == 0 ? null : "Jupyter Notebook is not installed (apt-get install jupyter-notebook): " + output.Trim();
    });

    public NotebookServerFactAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason;
    }
}
