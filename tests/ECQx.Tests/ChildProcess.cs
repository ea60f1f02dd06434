using System.Diagnostics;
using System.Text;

namespace ECQx.Tests;

/// <summary>What a finished child process printed and returned.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
{
    /// <summary>Everything the process printed, for assertion messages.</summary>
    public string Transcript => $"$ {Command}\nexit {ExitCode} after {Elapsed.TotalSeconds:F0} s\n--- stdout\n{Tail(StdOut)}\n--- stderr\n{Tail(StdErr)}";

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];
}

/// <summary>
/// Runs programs (the .NET SDK's <c>dotnet</c>, the installed <c>ecqx</c>, <c>readelf</c>) as child processes with
/// a clean MSBuild environment and a timeout; a process that overruns is killed with its children (by its own handle).
/// </summary>
internal static class ChildProcess
{
    /// <summary>The <c>dotnet</c> executable running these tests (the SDK sets <c>DOTNET_HOST_PATH</c>), else the one on PATH.</summary>
    internal static string DotnetExecutable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    internal static CommandResult Dotnet(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Run(DotnetExecutable, workingDirectory, timeout, environment, args);

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="args"/>; waits at most <paramref name="timeout"/>.</summary>
    internal static CommandResult Run(string fileName, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // The test host runs inside an SDK build: its MSBuild variables would steer a child build to the wrong SDK paths.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["COLUMNS"] = "200";
        if (environment is not null)
            foreach (var (key, value) in environment) psi.Environment[key] = value;

        string command = fileName + " " + string.Join(' ', args);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{command} did not finish within {timeout.TotalMinutes:F0} min.\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // flushes the asynchronous readers
        return new CommandResult(command, process.ExitCode, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }
}
