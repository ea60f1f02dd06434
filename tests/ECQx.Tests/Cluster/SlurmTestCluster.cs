using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ECQx.Tests.Cluster;

/// <summary>
/// A one-node Slurm cluster (munged, slurmctld, slurmd) on this machine for the duration of a test class, started and
/// stopped (by the pids it recorded) through <c>.ci/slurm-test-cluster</c>, with every file in a temporary directory.
/// </summary>
public sealed class SlurmTestCluster : IDisposable
{
    private static readonly string[] Daemons = { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue", "/usr/bin/scancel" };

    /// <summary>Why no cluster can run here (not root, packages missing), or null when it can.</summary>
    public static string? MissingPrerequisite()
    {
        if (!OperatingSystem.IsLinux()) return "the test cluster runs on Linux only";
        if (Environment.UserName != "root") return $"the test cluster needs root (running as {Environment.UserName})";
        var missing = Daemons.Where(d => !File.Exists(d)).ToList();
        return missing.Count > 0 ? $"{string.Join(", ", missing)} missing" : null;
    }

    public SlurmTestCluster()
    {
        if (MissingPrerequisite() is string reason) throw new InvalidOperationException($"cannot start the Slurm test cluster: {reason}");
        Directory = TestPaths.NewTempDir();
        Script = Path.Combine(TestPaths.RepoRoot(), ".ci", "slurm-test-cluster");
        var (exit, output) = Shell.Run(new[] { Script, "start", Directory, FreePort().ToString(), FreePort().ToString() }, null, TimeSpan.FromMinutes(2));
        if (exit != 0)
        {
            Shell.Run(new[] { Script, "stop", Directory }, null, TimeSpan.FromMinutes(1));
            throw new InvalidOperationException($"{Script} start failed (exit {exit}): {output}");
        }
        SlurmConf = Path.Combine(Directory, "slurm.conf");
    }

    /// <summary>The cluster's state, logs and configuration.</summary>
    public string Directory { get; }

    /// <summary>Its slurm.conf (exported as SLURM_CONF to every command run through <see cref="Run"/>).</summary>
    public string SlurmConf { get; }

    private string Script { get; }

    /// <summary>Runs a command with SLURM_CONF set; returns its exit code and its output (stdout and stderr).</summary>
    public (int Exit, string Output) Run(IReadOnlyList<string> command, TimeSpan? timeout = null) =>
        Shell.Run(command, new Dictionary<string, string> { ["SLURM_CONF"] = SlurmConf }, timeout ?? TimeSpan.FromMinutes(10));

    /// <summary>The ids of the jobs Slurm still knows as pending or running.</summary>
    public IReadOnlyList<string> QueuedJobs()
    {
        var (exit, output) = Run(new[] { "/usr/bin/squeue", "-h", "-o", "%i %T" });
        if (exit != 0) throw new InvalidOperationException($"squeue failed: {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Waits until no job is queued or running; false after <paramref name="timeout"/>.</summary>
    public bool WaitUntilIdle(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (QueuedJobs().Count == 0) return true;
            Thread.Sleep(500);
        }
        return false;
    }

    public void Dispose()
    {
        Shell.Run(new[] { Script, "stop", Directory }, null, TimeSpan.FromMinutes(1));
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>Runs child processes for the cluster tests.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="command"/> with extra <paramref name="environment"/>; returns exit code and combined output. Kills it after <paramref name="timeout"/>.</summary>
    public static (int Exit, string Output) Run(IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in command.Skip(1)) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}: {output.Result}{err.Result}");
        }
        return (p.ExitCode, output.Result + err.Result);
    }

    /// <summary>The <c>ecqx</c> command of this build: the dotnet host and ECQx.Cli.dll of the same configuration as the tests.</summary>
    public static string[] Ecqx()
    {
        // tests/ECQx.Tests/bin/<Configuration>/<tfm>/<rid>/  →  src/ECQx.Cli/bin/<Configuration>/<tfm>/<rid>/ECQx.Cli.dll
        string root = TestPaths.RepoRoot();
        string tail = Path.GetRelativePath(Path.Combine(root, "tests", "ECQx.Tests"), AppContext.BaseDirectory);
        string dll = Path.Combine(root, "src", "ECQx.Cli", tail, "ECQx.Cli.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the ecqx build {dll} is missing (the test project references ECQx.Cli; build the solution)");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is string h && File.Exists(h) ? h : "dotnet";
        return new[] { dotnet, dll };
    }
}
