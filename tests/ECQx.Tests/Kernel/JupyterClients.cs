using System.Diagnostics;
using System.Text;
using ECQx.Notebooks.Kernel;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// Runs real Jupyter clients (Debian's <c>python3-jupyter-client</c> and <c>python3-nbclient</c>, installed by
/// <c>.ci/install-prereqs</c>) against the C# (ECQx) kernel: installs the kernelspec under a temporary prefix
/// (pointing at the <c>ECQx.Cli</c> next to the tests, which carries the patched TorchSharp natives), runs
/// a Python script with <c>JUPYTER_PATH</c> set, and kills the script's process tree by pid if it overruns.
/// </summary>
internal static class JupyterClients
{
    /// <summary>The system Python that Debian's Jupyter packages install into.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} is not installed";
        var (exit, output) = RunProcess(Python, ["-c", "import jupyter_client, nbclient, nbformat"], new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
        return exit == 0 ? null : "python3-jupyter-client / python3-nbclient are not installed (apt-get install python3-jupyter-client python3-nbclient): " + output.Trim();
    });

    /// <summary>Why the clients cannot run here, or null when they can.</summary>
    public static string? MissingReason => Missing.Value;

    /// <summary>The command that starts the kernel built next to the tests: its apphost, or <c>dotnet ECQx.Cli.dll</c>.</summary>
    public static IReadOnlyList<string> Launcher()
    {
        string apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "ECQx.Cli.exe" : "ECQx.Cli");
        if (File.Exists(apphost)) return [apphost];
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return [dotnet, Path.Combine(AppContext.BaseDirectory, "ECQx.Cli.dll")];
    }

    /// <summary>Installs the kernelspec under a new temporary prefix; returns the prefix's <c>share/jupyter</c> (the JUPYTER_PATH entry).</summary>
    public static string InstallKernelSpec()
    {
        string prefix = TestPaths.NewTempDir();
        KernelSpec.Install(KernelSpec.PrefixKernelsDirectory(prefix), KernelSpec.DefaultName, Launcher());
        return Path.Combine(prefix, "share", "jupyter");
    }

    /// <summary>Runs a Python script shipped with the tests (under <c>Kernel/</c>) with JUPYTER_PATH set; returns exit code and all output.</summary>
    public static (int Exit, string Output) RunScript(string script, IEnumerable<string> args, string jupyterPath, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["JUPYTER_PATH"] = jupyterPath,
            ["JUPYTER_DATA_DIR"] = Path.Combine(TestPaths.NewTempDir(), "data"),
            ["JUPYTER_RUNTIME_DIR"] = TestPaths.NewTempDir(),
            ["PYTHONUNBUFFERED"] = "1",
        };
        return RunProcess(Python, [Path.Combine(AppContext.BaseDirectory, "Kernel", script), .. args], env, timeout);
    }

    /// <summary>Runs a process, collecting stdout and stderr; kills its tree (by pid) when it overruns <paramref name="timeout"/>.</summary>
    public static (int Exit, string Output) RunProcess(string file, IEnumerable<string> args, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) output.AppendLine($"[killed pid {process.Id} after {timeout.TotalSeconds:0} s]");
            return (-1, output.ToString());
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }
}

/// <summary>A fact that needs the Debian Jupyter client packages; reported as skipped, with the reason, without them.</summary>
public sealed class JupyterFactAttribute : FactAttribute
{
    public JupyterFactAttribute()
    {
        if (JupyterClients.MissingReason is { } reason) Skip = reason;
    }
}
